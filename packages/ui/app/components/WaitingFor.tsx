/** Why a queued job has not started: the job ahead of it, linked, and the group they share. */
import type { GroupWait } from '../groups';
import { describeGroup } from '../groups';
import { shortId } from '../headline';

export function WaitingFor({ wait, words = true }: { wait: GroupWait; words?: boolean }) {
  return (
    <span className="waiting">
      {words && 'waiting for '}
      <a href={`#/jobs/${wait.jobId}`} title={wait.jobId}>
        <code>{shortId(wait.jobId)}</code>
      </a>{' '}
      ({describeGroup(wait.group)})
    </span>
  );
}
