/**
 * What a stored log value really holds. The seed's service sometimes stored gzip or zlib
 * streams, or raw bytes, where text was expected; this tells them apart and turns them back
 * into text lines.
 */
import { gunzipSync, inflateSync } from 'node:zlib';

export type PayloadKind = 'text' | 'gzip' | 'zlib' | 'binary';

export function classify(value: Buffer): PayloadKind {
  if (value.length >= 2 && value[0] === 0x1f && value[1] === 0x8b) return 'gzip';
  if (value.length >= 2 && value[0] === 0x78 && [0x01, 0x5e, 0x9c, 0xda].includes(value[1]!) && (value[0]! * 256 + value[1]!) % 31 === 0) {
    return 'zlib';
  }
  return isCleanText(value) ? 'text' : 'binary';
}

/** Valid UTF-8 with no NUL and no control characters but tab and ESC (colour codes). */
export function isCleanText(value: Buffer): boolean {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(value);
  } catch {
    return false;
  }
  // eslint-disable-next-line no-control-regex -- control characters are exactly what this looks for
  return !/[\u0000-\u0008\u000a-\u001a\u001c-\u001f\u007f]/.test(text);
}

/** The value as text: decompressed when compressed, invalid UTF-8 replaced, NUL dropped. */
export function toText(value: Buffer): string {
  const kind = classify(value);
  let bytes = value;
  try {
    if (kind === 'gzip') bytes = gunzipSync(value);
    if (kind === 'zlib') bytes = inflateSync(value);
  } catch {
    // A truncated stream: keep the raw bytes, made printable below.
  }
  return new TextDecoder('utf-8').decode(bytes).replaceAll('\u0000', '');
}

/** A seed `logs` field (a JSON array of strings, possibly compressed) as lines. */
export function seedLogLines(value: Buffer): string[] {
  const text = toText(value);
  try {
    const parsed: unknown = JSON.parse(text);
    if (Array.isArray(parsed)) return parsed.flatMap((line) => splitLines(typeof line === 'string' ? line : JSON.stringify(line)));
  } catch {
    // Not JSON: treat it as plain text.
  }
  return splitLines(text);
}

export function splitLines(text: string): string[] {
  // eslint-disable-next-line no-control-regex -- control characters are what is stripped
  return text.split(/\r?\n/).map((line) => line.replace(/[\u0000-\u0008\u000b-\u001a\u001c-\u001f\u007f]/g, ''));
}
