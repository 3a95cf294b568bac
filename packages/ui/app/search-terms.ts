/**
 * The words a queue search matches, whole and without case: the same rule as the server's
 * (core's jobSearchTerms), so a job that arrives on the event stream joins a searched view only
 * if the server would have listed it. The UI speaks only HTTP, so the rule is written here too.
 */
import type { Job } from './api';
import type { JobHeadline } from './headline';

export const normalizeSearch = (text: string) => text.trim().toLowerCase();

/** `registry/team/app:1.2@sha256:…` → `registry/team/app`. */
function repositoryOf(reference: string): string {
  const name = reference.split('@')[0]!;
  const slash = name.lastIndexOf('/');
  const colon = name.lastIndexOf(':');
  return colon > slash ? name.slice(0, colon) : name;
}

function termsOf(services: string[], images: string[], user: Job['user']): string[] {
  const terms = new Set<string>();
  const add = (value: string | null | undefined) => {
    const term = value ? normalizeSearch(value) : '';
    if (term) terms.add(term);
  };
  services.forEach(add);
  for (const image of images) {
    const repository = repositoryOf(image);
    add(image);
    add(repository);
    add(repository.slice(repository.lastIndexOf('/') + 1));
  }
  add(user?.sub);
  add(user?.name);
  return [...terms];
}

export function termsOfJob(job: Job): string[] {
  if (job.kind === 'build') return termsOf(job.spec.service ? [job.spec.service] : [], job.spec.image ? [job.spec.image] : [], job.user);
  const mappings = job.spec.mappings ?? {};
  return termsOf(Object.keys(mappings), Object.values(mappings), job.user);
}

export function termsOfHeadline(job: JobHeadline): string[] {
  if (job.kind === 'build') return termsOf(job.service ? [job.service] : [], job.image ? [job.image] : [], job.user);
  return termsOf(job.services, job.images, job.user);
}
