/**
 * `GET /events`: the store's job event feed as Server-Sent Events, for EventSource. Every event
 * carries its feed id, so a reconnect's `Last-Event-ID` goes on exactly where the client was; an
 * event the filters leave out is sent as an `id:` alone, so that position moves on without
 * anything to handle, and a quiet filter never leaves a client resuming from an expired id.
 */
import { isFeedMark, type Builder, type JobKind, type JobState } from '@docker-builder/core';
import type { SseEvent } from './route-definition.js';

export interface EventStreamFilter {
  kind?: JobKind;
  states?: readonly JobState[];
}

const RESET_REASONS = {
  expired: 'The events after the id you gave are no longer kept, or it is not an id of this server: read the jobs again.',
  behind: 'This stream fell too far behind the events: read the jobs again.',
};

export async function* jobEventStream(
  builder: Builder,
  start: { after: string; resumed: boolean },
  filter: EventStreamFilter,
  signal: AbortSignal,
): AsyncIterable<SseEvent> {
  let started = false;
  for await (const item of builder.followEvents({ after: start.after, signal })) {
    if (isFeedMark(item)) {
      if (item.type === 'ready') yield { event: 'ready', id: item.id, data: JSON.stringify({ resumed: start.resumed }) };
      else yield { event: 'reset', id: item.id, data: JSON.stringify({ reason: started ? RESET_REASONS.behind : RESET_REASONS.expired }) };
      started = true;
      continue;
    }
    const wanted = (!filter.kind || item.job.kind === filter.kind) && (!filter.states?.length || filter.states.includes(item.job.state));
    yield wanted
      ? { event: item.type, id: item.id, data: JSON.stringify(item.placeInLine === undefined ? item.job : { ...item.job, placeInLine: item.placeInLine }) }
      : { id: item.id };
  }
}
