/**
 * Once per run: build and pack every publishable package, then install the tarballs into the
 * fresh projects the test files share (in parallel). A project whose install fails is handed
 * on with its error, so the files that need it fail with npm's message and the others still run.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { TestProject } from 'vitest/node';
import { createFreshProject } from './support/fresh-project.js';
import { buildAndPackAll, type PackedPackage } from './support/pack.js';
import { workspaceDevVersion } from './support/workspace.js';

export type ProjectName = 'express5' | 'express4';

export interface FreshProject {
  /** What was installed, as given to `npm install`. */
  specs: string[];
  dir?: string;
  error?: string;
}

/** The minimal embed of the README: what most hosts install. */
const MINIMAL = ['@docker-builder/core', '@docker-builder/store-memory', '@docker-builder/http-express'];

let root: string | undefined;

export async function setup(project: TestProject) {
  root = await mkdtemp(path.join(os.tmpdir(), 'docker-builder-packed-'));
  const packages = await buildAndPackAll(path.join(root, 'tarballs'));
  const tarballsOf = (names: string[]) => packages.filter((pkg) => names.includes(pkg.name)).map((pkg) => pkg.tarball);
  const typescript = `typescript@${workspaceDevVersion('typescript')}`;
  const specs: Record<ProjectName, string[]> = {
    // Everything we publish, in an Express 5 service written in TypeScript.
    express5: [...packages.map((pkg) => pkg.tarball), 'express@5', typescript, '@types/node@20'],
    // The minimal embed in an Express 4 service (most of those in production), with Express 4's types.
    express4: [...tarballsOf(MINIMAL), 'express@4', typescript, '@types/node@20', '@types/express@4'],
  };
  const projects = {} as Record<ProjectName, FreshProject>;
  await Promise.all(
    (Object.keys(specs) as ProjectName[]).map(async (name) => {
      try {
        projects[name] = { specs: specs[name], dir: await createFreshProject(name, specs[name], root) };
      } catch (error) {
        projects[name] = { specs: specs[name], error: (error as Error).message };
      }
    }),
  );
  project.provide('packed', { packages, projects });
}

export async function teardown() {
  // PACKED_KEEP=1 leaves the tarballs and projects behind, to look into a failure.
  if (root && process.env.PACKED_KEEP !== '1') await rm(root, { recursive: true, force: true });
  else if (root) console.warn(`packed: tarballs and fresh projects kept in ${root}`);
}

declare module 'vitest' {
  export interface ProvidedContext {
    packed: { packages: PackedPackage[]; projects: Record<ProjectName, FreshProject> };
  }
}
