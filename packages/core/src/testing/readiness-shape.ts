/**
 * What every host relies on from `Runner.readiness()`: the shape the HTTP API and the UI read,
 * problems that name their settings, and causes and fixes that leak nothing of what the runner
 * runs on (its health's details: addresses, paths, versions), since every reader sees them.
 */
import { expect } from 'vitest';
import type { JobKind } from '../job.js';
import type { ComponentHealth } from '../ports/health.js';
import type { RunnerFeature, RunnerProblem, RunnerReadiness } from '../ports/runner.js';

/** A setting as an operator writes it: an environment variable's name. */
const SETTING = /^[A-Z][A-Z0-9_]*$/;

export function expectReadinessShape(readiness: RunnerReadiness, kind: JobKind, health: ComponentHealth): void {
  expect(Array.isArray(readiness.problems)).toBe(true);
  const secrets = privateWords(health);
  const problems: RunnerProblem[] = [...readiness.problems];
  const feature = (value: RunnerFeature | undefined, what: string) => {
    expect(value, what).toBeDefined();
    expect(typeof value!.ok, what).toBe('boolean');
    // A feature that does not work says why; one that works has nothing to say.
    expect(value!.problem === undefined, what).toBe(value!.ok);
    if (value!.problem) problems.push(value!.problem);
  };
  if (kind === 'build' && readiness.contexts) {
    feature(readiness.contexts.directory, 'contexts.directory');
    feature(readiness.contexts.git, 'contexts.git');
    feature(readiness.contexts.upload, 'contexts.upload');
    expect(readiness.contexts.git.hosts.every((host) => typeof host === 'string')).toBe(true);
    expect(typeof readiness.contexts.git.ssh).toBe('boolean');
  }
  if (kind === 'build' && readiness.push) feature(readiness.push, 'push');
  if (kind !== 'build') expect(readiness.contexts ?? readiness.push).toBeUndefined();

  for (const problem of problems) {
    expect(problem.cause.trim().length, 'cause').toBeGreaterThan(0);
    expect(problem.fix.trim().length, 'fix').toBeGreaterThan(0);
    for (const setting of problem.settings) expect(setting).toMatch(SETTING);
    // Each setting named is also in the words a person reads.
    for (const setting of problem.settings) expect(`${problem.cause} ${problem.fix}`).toContain(setting);
    if (problem.detail !== undefined) expect(typeof problem.detail).toBe('string');
    for (const word of secrets) expect(`${problem.cause} ${problem.fix}`, `"${word}" is for admins only`).not.toContain(word);
  }
}

/** The string values of the health's details long enough to be an address, a path or a version. */
function privateWords(health: ComponentHealth): string[] {
  return Object.values(health.details ?? {}).filter((value): value is string => typeof value === 'string' && value.length >= 5);
}
