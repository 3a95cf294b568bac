/** The server's and worker's configuration, read from the environment once at start and validated. */
import { z } from 'zod';
import { ROLES, ValidationError, parseOrThrow } from '@docker-builder/core';
import { gitHostRuleProblem, pushAllowRuleProblem } from '@docker-builder/runner-docker';
import { passthroughNameProblem, splitArguments } from '@docker-builder/runner-ansible';
import { concurrencyProblems, environmentNameProblem, parseConcurrencyRule } from './concurrency-settings.js';

const wholeNumber = (min: number) =>
  z
    .string()
    .regex(/^\d+$/, { error: 'must be a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min, { error: `must be at least ${min}` }));

/** A comma-separated list whose every entry passes `problem`. */
const list = (problem: (entry: string) => string | null) =>
  z
    .string()
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
    .superRefine((entries, ctx) => {
      for (const entry of entries) {
        const reason = problem(entry);
        if (reason) ctx.addIssue({ code: 'custom', message: reason });
      }
    })
    .default([]);

const JOB_KINDS = ['build', 'deploy'] as const;

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
  /** The router's bodyLimit: read as Express reads sizes (1kb = 1024 bytes). */
  BODY_LIMIT: z
    .string()
    .regex(/^\s*\d+(\.\d+)?\s*(b|kb|mb|gb)?\s*$/i, { error: 'must be a size such as 512kb or 1mb (1kb is 1024 bytes)' })
    .default('1mb'),
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
  /** Environments a deploy may name (its `environment` field), each a group `environment:<name>`; none: a deploy naming one is refused. */
  DEPLOY_ENVIRONMENTS: list(environmentNameProblem),
  /** The server's own group rules, comma-separated: pattern=limit, pattern=policy or pattern=limit:policy; the first that matches a group applies. */
  CONCURRENCY_RULES: z
    .string()
    .transform((value, ctx) =>
      value
        .split(',')
        .map((entry) => entry.trim())
        .filter(Boolean)
        .flatMap((entry) => {
          const parsed = parseConcurrencyRule(entry);
          if (typeof parsed !== 'string') return [parsed];
          ctx.addIssue({ code: 'custom', message: parsed });
          return [];
        }),
    )
    .default([]),
  /** Every build in one group, `builds`, that runs this many at once; without it, builds are limited per image repository only. */
  BUILD_CONCURRENCY: wholeNumber(1).optional(),
  /** `off`: no default groups (deploy:<service>, build:<image repository>): jobs of one service may run at once again. */
  CONCURRENCY_GROUPS: z.enum(['on', 'off'], { error: 'must be on or off' }).transform((value) => value === 'on').default(true),
  /**
   * The kinds of job this process runs (build, deploy, or both, the default); a kind left out has
   * no runner: it is refused (503) and hidden in the UI. The same value on servers and workers.
   */
  JOB_KINDS: z
    .string()
    .transform((value) => value.split(',').map((entry) => entry.trim()).filter(Boolean))
    .pipe(
      z
        .array(z.enum(JOB_KINDS, { error: `each must be one of ${JOB_KINDS.join(', ')}` }))
        .min(1, { error: `must name at least one of ${JOB_KINDS.join(', ')}` }),
    )
    .default([...JOB_KINDS]),
  /** The Docker engine builds run on: unix://, tcp:// or ssh:// (default: the local socket). */
  DOCKER_HOST: z.string().regex(/^(unix|tcp|ssh|https?):\/\//, { error: 'must be a unix://, tcp://, ssh:// or https:// address' }).optional(),
  /** TLS to a tcp:// DOCKER_HOST, as the docker CLI reads them: verify the engine with DOCKER_CERT_PATH/ca.pem and log in with its cert.pem and key.pem. */
  DOCKER_TLS_VERIFY: z.enum(['1', 'true', '0', 'false'], { error: 'must be 1, true, 0 or false' }).transform((value) => value === '1' || value === 'true').default(false),
  /** The directory of ca.pem, cert.pem and key.pem for DOCKER_TLS_VERIFY; default ~/.docker, as for the docker CLI. */
  DOCKER_CERT_PATH: z.string().min(1).optional(),
  /** Directory contexts are resolved under this directory; without it, only git and uploaded contexts build. */
  BUILD_CONTEXT_ROOT: z.string().min(1).optional(),
  /** Where uploaded contexts wait for their job; with workers on other machines, a shared directory. */
  UPLOADS_DIR: z.string().min(1).optional(),
  UPLOAD_MAX_BYTES: wholeNumber(1).default(512 * 1024 * 1024),
  /** What an uploaded archive may unpack to, and how many entries it may hold; uploads received at once. */
  UPLOAD_MAX_UNPACKED_BYTES: wholeNumber(1).default(2 * 1024 * 1024 * 1024),
  UPLOAD_MAX_ENTRIES: wholeNumber(1).default(100_000),
  UPLOAD_MAX_CONCURRENT: wholeNumber(1).default(4),
  /** Hosts git contexts may be cloned from (github.com, git.example.com:8443, *.example.com); none: git contexts are refused. */
  GIT_HOSTS: list(gitHostRuleProblem),
  /** Allow ssh://git@host/repo.git contexts, cloned with the engine host's ssh keys. */
  GIT_ALLOW_SSH: z.enum(['true', 'false'], { error: 'must be true or false' }).transform((value) => value === 'true').default(false),
  /** Repositories images may be pushed to besides REGISTRY_PREFIX/…: registry/team/app or registry/team/*. */
  PUSH_ALLOW: list(pushAllowRuleProblem),
  /** 32 random bytes, base64 (openssl rand -base64 32), the same on the server and every worker: seals secret build arguments. */
  SECRETS_KEY: z
    .string()
    .transform((value, ctx) => {
      const key = Buffer.from(value.trim(), /^[0-9a-fA-F]{64}$/.test(value.trim()) ? 'hex' : 'base64');
      // Never echo the value: only what is wrong with it.
      if (key.length !== 32) {
        ctx.addIssue({ code: 'custom', message: `must be 32 bytes in base64 or hex (openssl rand -base64 32), not ${key.length} bytes` });
        return z.NEVER;
      }
      return key;
    })
    .optional(),
  /** UTF-8 bytes of log kept per job (with the 100 000-line cap); a capped log keeps its first and last lines (a tenth of this at most for the last) and says how many were dropped. */
  LOG_MAX_BYTES: wholeNumber(1024).default(64 * 1024 * 1024),
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
  /** The playbook gets the server's ANSIBLE_* variables, and these names too (KUBECONFIG,GOOGLE_APPLICATION_CREDENTIALS). */
  DEPLOY_ENV_PASSTHROUGH: list(passthroughNameProblem),
  /** ansible-playbook arguments set by the operator (--private-key /keys/id_ed25519 -e @/etc/deploy/prod.yml): split as a shell splits words, with no shell. */
  ANSIBLE_EXTRA_ARGS: z
    .string()
    .transform((value, ctx) => {
      try {
        return splitArguments(value);
      } catch (error) {
        ctx.addIssue({ code: 'custom', message: (error as Error).message });
        return z.NEVER;
      }
    })
    .default([]),
  /** With it, GET /metrics asks for `Authorization: Bearer <METRICS_TOKEN>` (server and workers); without it, /metrics is open. */
  METRICS_TOKEN: z
    .string()
    .min(16, { error: 'must be at least 16 characters (openssl rand -hex 16)' })
    .regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces' })
    .optional(),
  /** A worker serves /metrics and /healthz on this port (0 picks a free one); without it, a worker serves no HTTP. */
  METRICS_PORT: z
    .string()
    .regex(/^\d+$/, { error: 'must be a port number' })
    .transform(Number)
    .pipe(z.number().int().max(65535, { error: 'must be a port number' }))
    .optional(),
  /** The address a worker's metrics server listens on. */
  METRICS_HOST: z.string().min(1).default('127.0.0.1'),
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
  const concurrency = concurrencyProblems(config);
  if (concurrency.length > 0) throw new ValidationError(concurrency);
  if (config.DOCKER_CERT_PATH && !config.DOCKER_TLS_VERIFY) {
    throw new ValidationError([{ path: 'DOCKER_CERT_PATH', message: 'is read only with DOCKER_TLS_VERIFY=1 (TLS to a tcp:// DOCKER_HOST): set that too, or unset DOCKER_CERT_PATH' }]);
  }
  return config;
}
