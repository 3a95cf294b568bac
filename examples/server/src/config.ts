/** The server's configuration, read from the environment once at start and validated. */
import { z } from 'zod';
import { parseOrThrow } from '@docker-builder/core';

const port = z
  .string()
  .regex(/^\d+$/, { error: 'must be a port number' })
  .transform(Number)
  .pipe(z.number().int().min(0).max(65535));

const EnvSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  PORT: port.default(8000),
  CONCURRENCY: z.string().regex(/^[1-9]\d*$/, { error: 'must be a whole number of at least 1' }).transform(Number).default(2),
  BODY_LIMIT: z.string().default('1mb'),
  SHUTDOWN_DEADLINE_SECONDS: z.string().regex(/^\d+$/, { error: 'must be a whole number' }).transform(Number).default(30),
});

export type ServerConfig = z.output<typeof EnvSchema>;

export function readConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const relevant = Object.fromEntries(Object.keys(EnvSchema.shape).filter((k) => env[k] !== undefined && env[k] !== '').map((k) => [k, env[k]]));
  return parseOrThrow(EnvSchema, relevant);
}
