/**
 * The hash routes: `#/`, `#/new/build`, `#/new/deploy`, `#/status`, `#/jobs/<id>` and a line of a
 * job's log, `#/jobs/<id>#L123` (the URL's fragment holds the route, so the line rides after it).
 */

export type Route =
  | { page: 'queue' | 'build' | 'deploy' | 'status'; key: string }
  | { page: 'job'; key: string; jobId: string; line: number | null };

const JOB = /^#\/jobs\/([0-9a-f-]{36})(?:#L(\d+))?$/;

export function parseRoute(hash: string): Route {
  const job = JOB.exec(hash);
  if (job) {
    const line = job[2] ? Number(job[2]) : null;
    return { page: 'job', key: `#/jobs/${job[1]}`, jobId: job[1]!, line: line !== null && line >= 1 ? line : null };
  }
  // The key names the page, not its query (`#/?state=error`): a new filter is not a new page.
  const path = hash.split('?')[0] || '#/';
  if (path === '#/new/build') return { page: 'build', key: path };
  if (path === '#/new/deploy') return { page: 'deploy', key: path };
  if (path === '#/status') return { page: 'status', key: path };
  return { page: 'queue', key: '#/' };
}

export const lineHash = (jobId: string, line: number) => `#/jobs/${jobId}#L${line}`;
