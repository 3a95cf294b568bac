/**
 * Secret build arguments (an NPM_TOKEN): sealed with AES-256-GCM under a key the server and
 * every worker share, so the job record (memory, Redis, the API) only ever holds ciphertext;
 * opened by the runner just before the build, and scrubbed from every line and error the build
 * produces. A sealed value is bound to its argument's name, so it cannot be moved to another.
 */
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

const PREFIX = 'sealed:v1:';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export interface SecretSealer {
  /** A short fingerprint of the key, stored with each value, so a wrong key is named as such. */
  readonly keyId: string;
  seal(name: string, value: string): string;
  /** Throws an Error saying why (another key, tampered with, not sealed); never with the value. */
  open(name: string, sealed: string): string;
}

export function isSealed(value: string): boolean {
  return value.startsWith(PREFIX);
}

export function createSecretSealer(key: Uint8Array): SecretSealer {
  if (key.length !== 32) throw new Error(`secretsKey must be 32 bytes (AES-256), not ${key.length}: generate one with "openssl rand -base64 32"`);
  const keyBytes = Buffer.from(key);
  const keyId = createHash('sha256').update('docker-builder secrets key\0').update(keyBytes).digest('hex').slice(0, 8);
  const aad = (name: string) => Buffer.from(`docker-builder build arg\0${name}`);

  return {
    keyId,
    seal(name, value) {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', keyBytes, iv).setAAD(aad(name));
      const sealed = Buffer.concat([cipher.update(value, 'utf8'), cipher.final()]);
      return `${PREFIX}${keyId}:${Buffer.concat([iv, cipher.getAuthTag(), sealed]).toString('base64url')}`;
    },
    open(name, sealed) {
      if (!isSealed(sealed)) throw new Error(`the secret build argument ${name} was not sealed; refusing to build with it`);
      const [id, payload = ''] = sealed.slice(PREFIX.length).split(':');
      if (id !== keyId) {
        throw new Error(
          `the secret build argument ${name} was sealed with another SECRETS_KEY (key ${id}; this process has key ${keyId}): ` +
            'the server and every worker need the same one',
        );
      }
      const bytes = Buffer.from(payload, 'base64url');
      try {
        const decipher = createDecipheriv('aes-256-gcm', keyBytes, bytes.subarray(0, IV_BYTES)).setAAD(aad(name));
        decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
        return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
      } catch {
        throw new Error(`the secret build argument ${name} could not be opened: it was altered, or sealed for another argument`);
      }
    },
  };
}

/** Replaces every secret value in a text with `***` (longest first, so no part of one is left). */
export function secretRedactor(values: readonly string[]): (text: string) => string {
  const secrets = [...new Set(values.filter((value) => value.length > 0))].sort((a, b) => b.length - a.length);
  if (secrets.length === 0) return (text) => text;
  return (text) => secrets.reduce((out, secret) => (out.includes(secret) ? out.split(secret).join('***') : out), text);
}
