import { createBuilder, type Builder, type BuilderOptions } from '@docker-builder/core';
import { createScriptedRunner, type ScriptedRunnerOptions } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';

/** A builder on the memory store whose build and deploy runners follow the given scripts. */
export function scriptedBuilder(
  script: { build?: ScriptedRunnerOptions<'build'>['script']; deploy?: ScriptedRunnerOptions<'deploy'>['script'] } = {},
  options: Partial<BuilderOptions> = {},
) {
  const build = createScriptedRunner({ kind: 'build', script: script.build ?? [{ log: 'built' }] });
  const deploy = createScriptedRunner({ kind: 'deploy', script: script.deploy ?? [{ log: 'deployed' }] });
  const builder: Builder = createBuilder({
    store: createMemoryJobStore(),
    runners: { build, deploy },
    logs: { flushIntervalMs: 5 },
    progressIntervalMs: 0,
    ...options,
  });
  return { builder, build, deploy };
}

export const BUILD = { service: 'rag-service' };
export const DEPLOY = { mappings: { 'rag-service': 'registry.example.com/repo/rag-service:20251025-111006' } };
