/**
 * Registry credentials come from the server's configuration or a Docker config.json, never
 * from a payload, and are handed to the engine only (X-Registry-Auth): never logged, never
 * stored with a job, never put in an error message.
 */
import { readFileSync } from 'node:fs';

export interface RegistryCredentials {
  username: string;
  password: string;
}

export interface AuthConfig {
  username: string;
  password: string;
  serveraddress: string;
}

const DOCKER_HUB = 'docker.io';
const DOCKER_HUB_CONFIG_KEYS = ['https://index.docker.io/v1/', 'index.docker.io', 'docker.io'];

/** The registry host an image repository lives on (`docker.io` when it names none). */
export function registryHost(repository: string): string {
  const first = repository.split('/')[0]!;
  const hasHost = repository.includes('/') && (first.includes('.') || first.includes(':') || first === 'localhost');
  return hasHost ? first : DOCKER_HUB;
}

export interface CredentialSource {
  /** Host → credentials, from the server's configuration. Wins over the config file. */
  registryAuth?: Record<string, RegistryCredentials>;
  /** A Docker config.json (`auths` entries with `auth` = base64 "user:password"). */
  dockerConfigPath?: string;
}

export function credentialsFor(repository: string, source: CredentialSource): AuthConfig | null {
  const host = registryHost(repository);
  const explicit = source.registryAuth?.[host];
  if (explicit) return { ...explicit, serveraddress: host };
  if (!source.dockerConfigPath) return null;
  const auths = readAuths(source.dockerConfigPath);
  const keys = host === DOCKER_HUB ? DOCKER_HUB_CONFIG_KEYS : [host, `https://${host}`, `http://${host}`];
  for (const key of keys) {
    const entry = auths[key];
    if (!entry) continue;
    if (entry.username && entry.password) return { username: entry.username, password: entry.password, serveraddress: host };
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1), serveraddress: host };
    }
  }
  return null;
}

function readAuths(path: string): Record<string, { auth?: string; username?: string; password?: string }> {
  try {
    const config = JSON.parse(readFileSync(path, 'utf8')) as { auths?: Record<string, { auth?: string }> };
    return config.auths ?? {};
  } catch (error) {
    // Say which file, not what is in it.
    throw new Error(`cannot read the Docker config file ${path}: ${(error as NodeJS.ErrnoException).code ?? 'not valid JSON'}`);
  }
}
