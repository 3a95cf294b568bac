/**
 * What the Docker runner tells every user before they submit (`Runner.readiness`): whether the
 * engine answers, and which context sources and pushes this configuration allows. Causes and
 * fixes name the standalone server's settings and never the engine's address or the context
 * root's path; those go in `detail`, for admins. The engine's health message is built here too,
 * so `_debug` and the banner say the same thing.
 */
import { realpath, stat } from 'node:fs/promises';
import type { RunnerFeature, RunnerProblem, RunnerReadiness } from '@docker-builder/core';

/** Why the engine did not answer, by the server's setting names, for the usual reasons. */
export function engineProblem(engine: string, error: string): RunnerProblem {
  const reason = error.replace(/^\(HTTP code \d+\) [^-]*- /, '').trim().replace(/\.$/, '');
  const prefix = `The Docker engine at ${engine} is unreachable: ${reason}.`;
  const problem = (cause: string, fix: string, settings: string[]): RunnerProblem => ({ cause, fix, settings, detail: `${prefix} ${fix}` });
  if (/HTTP request to an HTTPS server/i.test(reason)) {
    return problem(
      'The Docker engine speaks TLS and this server connects without it, so every build fails.',
      'It speaks TLS: set DOCKER_TLS_VERIFY=1 and DOCKER_CERT_PATH (a directory of ca.pem, cert.pem and key.pem).',
      ['DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH'],
    );
  }
  if (/certificate|SSL|TLS|alert/i.test(reason)) {
    return problem(
      'The Docker engine and this server do not accept each other\'s certificates, so every build fails.',
      "Check the certificates in DOCKER_CERT_PATH: ca.pem must have signed the engine's certificate, and cert.pem/key.pem must be a client certificate the engine's CA signed.",
      ['DOCKER_CERT_PATH'],
    );
  }
  return problem('The Docker engine does not answer, so every build fails.', "Set DOCKER_HOST or mount the engine's socket.", ['DOCKER_HOST']);
}

export interface ReadinessInputs {
  /** Asks the engine: null when it answers, else why not (engineProblem). */
  probeEngine: () => Promise<RunnerProblem | null>;
  contextRoot?: string;
  uploadsDir?: string;
  gitHosts: string[];
  allowSshGit: boolean;
  /** Some repository may be pushed to (REGISTRY_PREFIX or PUSH_ALLOW). */
  canPush: boolean;
}

export async function buildReadiness(inputs: ReadinessInputs): Promise<RunnerReadiness> {
  const [engine, directory] = await Promise.all([inputs.probeEngine(), directorySource(inputs.contextRoot)]);
  const problems: RunnerProblem[] = engine ? [engine] : [];
  // Configured but wrong: the operator meant directory contexts to work.
  if (inputs.contextRoot && directory.problem) problems.push(directory.problem);
  return {
    problems,
    contexts: {
      directory,
      git:
        inputs.gitHosts.length > 0
          ? { ok: true, hosts: inputs.gitHosts, ssh: inputs.allowSshGit }
          : {
              ok: false,
              hosts: [],
              ssh: false,
              problem: { cause: 'Git contexts are off: no git host is allowed on this server.', fix: 'Set GIT_HOSTS to the hosts builds may clone from (github.com, *.example.com).', settings: ['GIT_HOSTS'] },
            },
      upload: inputs.uploadsDir
        ? { ok: true }
        : { ok: false, problem: { cause: 'Uploaded contexts are off: this runner has no uploads directory.', fix: "Set UPLOADS_DIR (the Docker runner's uploadsDir).", settings: ['UPLOADS_DIR'] } },
    },
    push: inputs.canPush
      ? { ok: true }
      : {
          ok: false,
          problem: {
            cause: 'Pushing is off: no registry is configured on this server, so builds stay on its engine.',
            fix: 'Set REGISTRY_PREFIX or PUSH_ALLOW to the repositories images may be pushed to; until then, build with push off.',
            settings: ['REGISTRY_PREFIX', 'PUSH_ALLOW'],
          },
        },
  };
}

async function directorySource(contextRoot: string | undefined): Promise<RunnerFeature> {
  if (!contextRoot) {
    return {
      ok: false,
      problem: { cause: 'Directory contexts are off: this server has no context root.', fix: NO_CONTEXT_ROOT_FIX, settings: ['BUILD_CONTEXT_ROOT'] },
    };
  }
  const isDirectory = await realpath(contextRoot).then(
    (resolved) => stat(resolved).then((s) => s.isDirectory()),
    () => false,
  );
  if (isDirectory) return { ok: true };
  return {
    ok: false,
    problem: {
      cause: 'The context root is not a directory on this server, so builds from a directory fail.',
      fix: 'Point BUILD_CONTEXT_ROOT at the directory that holds the build contexts (mount it, or create it).',
      settings: ['BUILD_CONTEXT_ROOT'],
      detail: `BUILD_CONTEXT_ROOT (the Docker runner's contextRoot) is ${contextRoot}, which is not a directory here.`,
    },
  };
}

export const NO_CONTEXT_ROOT_FIX = 'Set BUILD_CONTEXT_ROOT to the directory that holds the build contexts, or build from a git URL or an uploaded archive.';
