/** A test file's view of the fresh projects that global-setup.ts installed. */
import { inject } from 'vitest';
import type { ProjectName } from '../global-setup.js';
import type { PackedPackage } from './pack.js';

export function freshProject(name: ProjectName): string {
  const project = inject('packed').projects[name];
  if (!project.dir) throw new Error(`npm could not install ${project.specs.join(' ')} into a fresh project:\n${project.error}`);
  return project.dir;
}

export function packedPackages(): PackedPackage[] {
  return inject('packed').packages;
}

/** The library packages (the server is an application: no exports to import). */
export function libraryPackages(): PackedPackage[] {
  return packedPackages().filter((pkg) => pkg.name !== '@docker-builder/server');
}
