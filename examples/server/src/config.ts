/** The server's and worker's configuration, read from the environment once at start and validated. */
import { z } from 'zod';
import { ROLES, ValidationError, parseOrThrow } from '@docker-builder/core';

const wholeNumber = (min: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: `must be at least ${min}` }));

const EnvSchema = z.object({
  HOST: z.string().min(1).default('127.0.0.1'),
  /** A file of hashed API tokens (docker-builder-token create writes it); re-read on change and on SIGHUP. */
  AUTH_TOKENS_FILE: z.string().min(1).optional(),
  /** OpenID Connect: the issuer's key set, its `iss` and the `aud` tokens must carry. */
  AUTH_JWKS_URL: z.url({ protocol: /^https?$/, error: 'must be an http(s) URL' }).optional(),
  AUTH_ISSUER: z.string().min(1).optional(),
  AUTH_AUDIENCE: z.string().min(1).optional(),
  /** The claim with the role (a dotted path such as realm_access.roles); default "role". */
  AUTH_ROLE_CLAIM: z.string().regex(/^[A-Za-z0-9_:-]+(\.[A-Za-z0-9_:-]+)*$/, { error: 'must be a claim name or a dotted path' }).default('role'),
  /** The role of a valid OIDC token whose claim names none. */
  AUTH_DEFAULT_ROLE: z.enum(ROLES, { error: `must be one of ${ROLES.join(', ')}` }).default('read'),
  /** Serve anyone who can reach the server, on any address. Off unless set to true. */
  ALLOW_ANONYMOUS: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((value) => value === 'true').default(false),
  PORT: z
    .string()
    .regex(/^\d+$/, { error: 'must be a port number' })
    .transform(Number)
    .pipe(z.number().int().max(65535, { error: 'must be a port number' }))
    .default(8000),
  /** Jobs run at once: by the in-process queue, or by each worker. */
  CONCURRENCY: wholeNumber(1).default(2),
  BODY_LIMIT: z.string().default('1mb'),
  /** All of shutdown, in-flight jobs included: keep it below the orchestrator's grace period (30 s in Kubernetes). */
  SHUTDOWN_DEADLINE_SECONDS: wholeNumber(1).default(25),
  /** With it: Redis store + BullMQ queue + separate workers. Without it: everything in memory, in one process. */
  REDIS_URL: z.string().regex(/^rediss?:\/\//, { error: 'must be a redis:// or rediss:// URL' }).optional(),
  REDIS_PREFIX: z.string().min(1).default('docker-builder:'),
  /** Finished jobs and their logs expire after this long; 0 keeps them. */
  RETENTION_SECONDS: wholeNumber(0).default(0),
  /** A running job's lease: a job whose process stops renewing it for this long counts as lost. */
  LEASE_SECONDS: wholeNumber(3).default(30),
  /** How many times a job whose worker was lost is queued again; 0 ends it in error. Same value on servers and workers. */
  RETRY_LOST_JOBS: wholeNumber(0).default(0),
  /** The Docker engine builds run on: unix://, tcp:// or ssh:// (default: the local socket). */
  DOCKER_HOST: z.string().regex(/^(unix|tcp|ssh|https?):\/\//, { error: 'must be a unix://, tcp://, ssh:// or https:// address' }).optional(),
  /** Directory contexts are resolved under this directory; without it, only git and uploaded contexts build. */
  BUILD_CONTEXT_ROOT: z.string().min(1).optional(),
  /** Where uploaded contexts wait for their job; with workers on other machines, a shared directory. */
  UPLOADS_DIR: z.string().min(1).optional(),
  UPLOAD_MAX_BYTES: wholeNumber(1).default(512 * 1024 * 1024),
  /** Default image repository prefix, e.g. us-central1-docker.pkg.dev/PROJECT/REPO. */
  REGISTRY_PREFIX: z
    .string()
    .regex(/^[a-z0-9.:-]+(\/[a-z0-9._-]+)*$/, { error: 'must be a registry and path such as registry.example.com/team' })
    .optional(),
  /** The directory of a Docker config.json with registry credentials (as for the docker CLI). */
  DOCKER_CONFIG: z.string().min(1).optional(),
  /** The deploy playbook; default ./deploy/playbook.yml, else ./playbook.yml, else the bundled example. */
  PLAYBOOK: z.string().min(1).optional(),
  /** Inventory and --limit for ansible-playbook: server-side only, never from a payload. */
  ANSIBLE_INVENTORY: z.string().min(1).optional(),
  ANSIBLE_LIMIT: z.string().min(1).optional(),
  /** The ansible-playbook binary, if not on PATH. */
  ANSIBLE_PLAYBOOK: z.string().min(1).optional(),
  DEPLOY_TIMEOUT_SECONDS: wholeNumber(1).default(1800),
});

export type ServerConfig = z.output<typeof EnvSchema>;

export function readConfig(env: NodeJS.ProcessEnv): ServerConfig {
  const relevant = Object.fromEntries(
    Object.keys(EnvSchema.shape)
      .filter((k) => env[k] !== undefined && env[k] !== '')
      .map((k) => [k, env[k]]),
  );
  const config = parseOrThrow(EnvSchema, relevant);
  const oidc = [config.AUTH_JWKS_URL, config.AUTH_ISSUER, config.AUTH_AUDIENCE];
  if (oidc.some(Boolean) && !oidc.every(Boolean)) {
    const missing = (['AUTH_JWKS_URL', 'AUTH_ISSUER', 'AUTH_AUDIENCE'] as const).filter((name) => !config[name]);
    throw new ValidationError(missing.map((name) => ({ path: name, message: 'is required with the other OpenID Connect settings (AUTH_JWKS_URL, AUTH_ISSUER, AUTH_AUDIENCE)' })));
  }
  return config;
}
