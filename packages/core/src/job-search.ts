/**
 * What a job can be found by: the words a search box matches whole, without case. Both stores
 * index a job under these terms when it is created (a job's spec and submitter never change), so
 * a search costs what its matches cost, not what the whole history costs.
 */
import { jobSubject } from './job-headline.js';
import type { Job } from './job.js';
import { parseImageReference } from './schemas/docker-reference.js';

/** The longest search a list accepts: service ids, image references and user ids fit. */
export const MAX_SEARCH_LENGTH = 256;

/** How a search is compared with a job's terms: trimmed and lowercased. */
export function normalizeSearch(search: string): string {
  return search.trim().toLowerCase();
}

/**
 * The terms of a job, lowercased and each once: every service it builds or deploys; every image,
 * as written, as its repository (no tag or digest) and as the repository's last part (so
 * `rag-service` finds `registry/project/rag-service:1.2`); the submitter's id and name.
 */
export function jobSearchTerms(job: Pick<Job, 'kind' | 'spec' | 'user'>): string[] {
  const terms = new Set<string>();
  const add = (value: string | null | undefined) => {
    const term = value ? normalizeSearch(value) : '';
    if (term && term.length <= MAX_SEARCH_LENGTH) terms.add(term);
  };
  const addImage = (reference: string) => {
    add(reference);
    const repository = parseImageReference(reference, { allowUppercasePath: true })?.repository;
    if (!repository) return;
    add(repository);
    add(repository.slice(repository.lastIndexOf('/') + 1));
  };
  const subject = jobSubject(job as Job);
  if ('services' in subject) {
    subject.services.forEach(add);
    subject.images.forEach(addImage);
  } else {
    add(subject.service);
    if (subject.image) addImage(subject.image);
  }
  add(job.user?.sub);
  add(job.user?.name);
  return [...terms];
}

/** Whether a job matches a (normalized) search. */
export function jobMatchesSearch(job: Pick<Job, 'kind' | 'spec' | 'user'>, search: string): boolean {
  return jobSearchTerms(job).includes(search);
}
