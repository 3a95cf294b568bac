/**
 * A build whose context is an archive the user picked: `POST /build` with the archive as the body
 * (`application/x-tar`, gzip or not) and the other fields in the query string, as the API takes them.
 */
import { request } from './api';

export function tarBuildQuery(payload: Record<string, unknown>): URLSearchParams {
  const query = new URLSearchParams();
  for (const key of ['service', 'dockerfile', 'image', 'target'] as const) {
    const value = payload[key];
    if (typeof value === 'string') query.set(key, value);
  }
  for (const tag of (payload.tags as string[] | undefined) ?? []) query.append('tag', tag);
  for (const [name, value] of Object.entries((payload.buildArgs as Record<string, string> | undefined) ?? {})) query.append('buildArg', `${name}=${value}`);
  for (const key of ['push', 'noCache', 'pull'] as const) {
    const value = payload[key];
    if (typeof value === 'boolean') query.set(key, String(value));
  }
  return query;
}

export function postTarBuild(payload: Record<string, unknown>, archive: Blob): Promise<{ id: string }> {
  return request<{ id: string }>(`build?${tarBuildQuery(payload).toString()}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-tar' },
    body: archive,
  });
}

/** 536870912 → "512 MiB". */
export function formatBytes(bytes: number): string {
  const units = ['bytes', 'KiB', 'MiB', 'GiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit += 1;
  }
  return `${Number.isInteger(value) ? value : value.toFixed(1)} ${units[unit]}`;
}
