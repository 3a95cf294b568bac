/**
 * createAnsibleRunner: runs the deploy playbook with `ansible-playbook`, `mappings` handed over
 * in a `!unsafe`-tagged vars file, never on a command line or through a shell. Output streams
 * into the job line by line; `PROGRESS N` sets progress; a failed task's name and message
 * become the job's error. Cancel or timeout stop the whole process group: SIGTERM, then
 * SIGKILL after a grace period, so no ansible-playbook process outlives its job; a supervisor
 * stops the group too if the worker itself dies (supervised-playbook.ts). What reaches a real
 * host (SSH keys, known_hosts, kubeconfigs) is the operator's: the server's ANSIBLE_* variables,
 * the names it lists, and its extra arguments (playbook-env.ts), never a payload.
 */
import { tmpdir } from 'node:os';
import path from 'node:path';
import type { ComponentHealth, Runner } from '@docker-builder/core';
import { execa } from 'execa';
import { createOutputReader, type HostRecap } from './ansible-output.js';
import { describeSignal, failureMessage } from './failure-message.js';
import { deployReadiness } from './deploy-readiness.js';
import { ALLOWED_ENV, passedServerEnv, passthroughNameProblem, runnerEnv } from './playbook-env.js';
import { findPlaybook, missingPlaybookMessage } from './playbook-location.js';
import { NOT_EXECUTABLE_EXIT, NOT_FOUND_EXIT, startSupervisedPlaybook } from './supervised-playbook.js';
import { removeStaleVarsDirs, writeVarsFile } from './vars-file.js';

export interface AnsibleRunnerOptions {
  /** The playbook; default: ./deploy/playbook.yml, else ./playbook.yml under `cwd`. */
  playbook?: string;
  /** Where relative paths resolve and the playbook runs; default: the process's working directory. */
  cwd?: string;
  /** Inventory (`-i`), server-side only; default "localhost," with a local connection. */
  inventory?: string;
  /** `--connection`; default "local" with the default inventory, ansible's own default otherwise. */
  connection?: string;
  /** `--limit`, server-side only. */
  limit?: string;
  /** The binary; default "ansible-playbook" on PATH. */
  ansiblePlaybook?: string;
  /**
   * The playbook's base environment: an allow-list, never the server's environment. Default:
   * PATH, HOME, LANG, LC_ALL, TMPDIR and SSH_AUTH_SOCK from this process.
   */
  env?: Record<string, string>;
  /**
   * The server's environment (hand it `process.env`; the runner reads none by itself). Every
   * `ANSIBLE_*` variable in it reaches the playbook (host key checking, ANSIBLE_SSH_ARGS,
   * ANSIBLE_CONFIG for an ansible.cfg, vault settings), and so do the `passthroughEnv` names;
   * they override `env`. The variables the runner sets itself (ANSIBLE_STDOUT_CALLBACK,
   * ANSIBLE_FORCE_COLOR, DEPLOY_USER_SUB…) are never taken from it. Default: none.
   */
  serverEnv?: Record<string, string | undefined>;
  /** Further names taken from `serverEnv` when set there, e.g. KUBECONFIG, GOOGLE_APPLICATION_CREDENTIALS. */
  passthroughEnv?: readonly string[];
  /**
   * Server-side arguments for ansible-playbook (`--private-key`, `--vault-password-file`,
   * `-e @group_vars/prod.yml`), each one argument, passed without a shell. They come after
   * the inventory and limit and before the job's own `--extra-vars`, so the job's `mappings`
   * win over an operator's vars file that happens to define `mappings` too.
   */
  extraArgs?: readonly string[];
  /** Keep ansible's colours in the log (the UI renders them); default true. */
  color?: boolean;
  /** A deploy running longer is stopped and fails; default 30 minutes. */
  timeoutMs?: number;
  /** After SIGTERM, how long before SIGKILL; default 1500 ms. */
  killGraceMs?: number;
  /** Where the vars file is written; default the OS temp directory. */
  tmpDir?: string;
  name?: string;
}

export interface DeployResult {
  playbook: string;
  /** PLAY RECAP per host. */
  recap: Record<string, HostRecap>;
}

export function createAnsibleRunner(options: AnsibleRunnerOptions = {}): Runner<'deploy'> {
  const name = options.name ?? 'ansible';
  const cwd = options.cwd ?? process.cwd();
  const binary = options.ansiblePlaybook ?? 'ansible-playbook';
  const inventory = options.inventory ?? 'localhost,';
  const connection = options.connection ?? (options.inventory ? undefined : 'local');
  const passthrough = options.passthroughEnv ?? [];
  const extraArgs = options.extraArgs ?? [];
  checkOptions(passthrough, extraArgs, options.serverEnv !== undefined);
  const baseEnv = {
    ...(options.env ?? Object.fromEntries(ALLOWED_ENV.filter((k) => process.env[k] !== undefined).map((k) => [k, process.env[k]!]))),
    ...passedServerEnv(options.serverEnv ?? {}, passthrough),
  };
  const location = { playbook: options.playbook, cwd };
  const tmpDir = options.tmpDir ?? tmpdir();
  // What killed workers left behind (their mappings, in vars directories) goes first.
  const staleVarsRemoved = removeStaleVarsDirs(tmpDir).catch(() => undefined);

  // `--version` costs a Python start-up, and _debug is polled (the UI's status page, every 5 s).
  // A found binary is remembered for a minute; a missing one is looked for again every time.
  let found: { version: string; at: number } | null = null;
  const ansibleVersion = async (): Promise<string | null> => {
    if (found && Date.now() - found.at < 60_000) return found.version;
    const result = await execa(binary, ['--version'], { reject: false, timeout: 15_000, env: baseEnv, extendEnv: false });
    found = result.exitCode === 0 ? { version: String(result.stdout).split('\n')[0]!, at: Date.now() } : null;
    return found?.version ?? null;
  };

  return {
    name,
    kind: 'deploy',
    async run(spec, context): Promise<DeployResult> {
      const { signal } = context;
      // An abort can land during any await before the spawn, when no listener is there yet to
      // see it: the signal is checked after each one, and never is a playbook started once aborted.
      signal.throwIfAborted();
      const playbook = await findPlaybook(location);
      if (!playbook) throw new Error(missingPlaybookMessage(location));
      await staleVarsRemoved;
      signal.throwIfAborted();
      const vars = await writeVarsFile(spec, tmpDir);
      const output = createOutputReader((percent) => context.progress(percent));
      let stopReason: 'cancel' | 'timeout' | null = null;
      try {
        signal.throwIfAborted();
        const deploy = startSupervisedPlaybook({
          binary,
          args: [
            playbook,
            '-i',
            inventory,
            ...(connection ? ['--connection', connection] : []),
            ...(options.limit ? ['--limit', options.limit] : []),
            ...extraArgs,
            '--extra-vars',
            `@${vars.path}`,
          ],
          varsDir: path.dirname(vars.path),
          cwd: path.dirname(playbook),
          env: { ...baseEnv, ...runnerEnv({ color: options.color !== false, user: context.user?.sub }) },
          killGraceMs: options.killGraceMs ?? 1_500,
        });
        const stop = (reason: 'cancel' | 'timeout') => {
          stopReason ??= reason;
          deploy.stop();
        };
        // In the same tick as the spawn: no abort can fall between the two.
        const onAbort = () => stop('cancel');
        signal.addEventListener('abort', onAbort, { once: true });
        const timer = setTimeout(() => stop('timeout'), options.timeoutMs ?? 30 * 60_000);
        try {
          context.log(`[docker-builder] ansible-playbook ${path.relative(cwd, playbook) || playbook} with ${Object.keys(spec.mappings).length} mapping(s)`);
          for await (const line of deploy.process.iterable({ from: 'all' })) {
            context.log(line);
            output.read(line);
          }
          const result = await deploy.process;
          if (stopReason === 'cancel') throw signal.reason ?? new Error('cancelled');
          if (stopReason === 'timeout') throw new Error(`The playbook did not finish within ${Math.round((options.timeoutMs ?? 1_800_000) / 1000)} s and was stopped.`);
          if (result.exitCode === NOT_FOUND_EXIT) {
            throw new Error(`${binary} was not found on this machine. Install ansible-core (apt-get install ansible-core, or pip install ansible-core), or set ANSIBLE_PLAYBOOK to its path.`);
          }
          if (result.exitCode === NOT_EXECUTABLE_EXIT) throw new Error(`${binary} could not be started (is it executable?); the log says why.`);
          if (result.signal) throw new Error(describeSignal(result.signal));
          if (result.exitCode !== 0) throw new Error(failureMessage(output, result.exitCode));
          context.progress(100);
          return { playbook, recap: output.recap };
        } finally {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          // Whatever happened (a log callback that threw), nothing of this run may outlive it.
          deploy.killNow();
        }
      } finally {
        await vars.remove();
      }
    },
    async health(): Promise<ComponentHealth> {
      const [playbook, version] = await Promise.all([findPlaybook(location), ansibleVersion()]);
      const problems = [
        ...(version ? [] : [`${binary} was not found: install ansible-core (apt-get install ansible-core).`]),
        ...(playbook ? [] : [missingPlaybookMessage(location)]),
      ];
      return {
        name,
        ok: problems.length === 0,
        ...(problems.length > 0 ? { message: problems.join(' ') } : {}),
        details: {
          ansiblePlaybook: version,
          playbook,
          inventory,
          limit: options.limit ?? null,
          // Names only: the values may be secrets.
          environment: Object.keys(baseEnv).sort(),
        },
      };
    },
    async readiness() {
      const [playbook, version] = await Promise.all([findPlaybook(location), ansibleVersion()]);
      return deployReadiness({ binary, binaryFound: version !== null, playbook, location });
    },
  };
}

/** Refused at start, where the operator sees it, rather than at the first deploy. */
function checkOptions(passthrough: readonly string[], extraArgs: readonly string[], hasServerEnv: boolean): void {
  const problems = passthrough.map(passthroughNameProblem).filter((problem) => problem !== null);
  if (passthrough.length > 0 && !hasServerEnv) problems.push('passthroughEnv names variables of serverEnv, which was not given (hand it process.env)');
  if (extraArgs.some((arg) => typeof arg !== 'string' || arg.includes('\0'))) problems.push('extraArgs must be strings without NUL characters');
  if (problems.length > 0) throw new Error(`Invalid deploy runner options: ${problems.join('; ')}.`);
}
