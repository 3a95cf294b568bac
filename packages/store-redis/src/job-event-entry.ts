/**
 * The event stream's entries, read back: an entry is flat field/value pairs (scripts.ts's
 * `headline`), readable with `redis-cli XRANGE`. Also how stream ids compare, since the feed's
 * ids are the stream's.
 */
import { JOB_EVENT_TYPES, firstLine, type JobEvent, type JobEventType, type JobHeadline, type JobKind, type JobState, type JobSubject } from '@docker-builder/core';
import { pairsToObject } from './job-hash.js';

/** An entry as XRANGE and XREAD answer it: its id and its field/value pairs. */
export type StreamEntry = [id: string, fields: string[]];

/** The fields of a job as the stream holds it (an entry without `type`, or FEED_HEAD's job). */
export type HeadlineFields = Record<string, string>;

export function entryFields(entry: StreamEntry): HeadlineFields {
  return pairsToObject(entry[1]);
}

/** Null when the entry is not an event this version knows (a newer writer's, or someone's XADD by hand). */
export function toJobEvent(id: string, fields: HeadlineFields, subject: JobSubject): JobEvent | null {
  const type = fields.type as JobEventType;
  if (!JOB_EVENT_TYPES.includes(type) || !fields.job) return null;
  const event: JobEvent = { id, type, job: toHeadline(fields, subject), logLength: Number(fields.logs ?? 0) };
  if (fields.placeInLine) event.placeInLine = Number(fields.placeInLine);
  return event;
}

export function toHeadline(fields: HeadlineFields, subject: JobSubject): JobHeadline {
  const text = (value: string | undefined) => (value ? value : null);
  return {
    id: fields.job!,
    kind: fields.kind as JobKind,
    state: fields.state as JobState,
    progress: Number(fields.progress ?? 0),
    attempt: Number(fields.attempt ?? 0),
    createdAt: fields.createdAt ?? '',
    startedAt: text(fields.startedAt),
    finishedAt: text(fields.finishedAt),
    cancelRequestedAt: text(fields.cancelRequestedAt),
    error: firstLine(text(fields.error)),
    user: parseJson(fields.user),
    cancelledBy: parseJson(fields.cancelledBy),
    retryOf: text(fields.retryOf),
    waitingFor: parseJson(fields.waitingFor),
    ...subject,
  } as JobHeadline;
}

/** The subject stored with the job (jobs created before there was one have none: null). */
export function storedSubject(fields: HeadlineFields): JobSubject | null {
  return fields.subject ? parseJson<JobSubject>(fields.subject) : null;
}

function parseJson<T>(value: string | undefined): T | null {
  if (!value) return null;
  try {
    return JSON.parse(value) as T;
  } catch {
    return null;
  }
}

const STREAM_ID = /^(\d{1,20})-(\d{1,20})$/;

export function isStreamId(value: string): boolean {
  return STREAM_ID.test(value);
}

/** Orders two valid stream ids (`<ms>-<seq>`) without turning 20-digit numbers into imprecise floats. */
export function compareStreamIds(a: string, b: string): number {
  const [aMs = '', aSeq = ''] = a.split('-');
  const [bMs = '', bSeq = ''] = b.split('-');
  return compareDigits(aMs, bMs) || compareDigits(aSeq, bSeq);
}

function compareDigits(a: string, b: string): number {
  const x = a.replace(/^0+(?=\d)/, '');
  const y = b.replace(/^0+(?=\d)/, '');
  if (x.length !== y.length) return x.length - y.length;
  return x < y ? -1 : x > y ? 1 : 0;
}

/** What FEED_HEAD says about the stream: is everything after `after` still there? */
export interface StreamHead {
  /** The newest id the stream ever had ('0-0' for none). */
  head: string;
  /** The oldest id it still holds ('' when empty). */
  first: string;
  /** Entries ever added; -1 when Redis does not say (before 7.0). */
  added: number;
  length: number;
}

/**
 * True when following on from `after` would miss events: it is not a stream id, or comes after
 * anything this stream made (the stream was deleted and made again), or older entries were
 * trimmed and `after` is before what is left. Trimming forgets which ids it removed, so `after`
 * exactly at the last one removed also counts as too old: that follower reads the jobs again,
 * for nothing.
 */
export function missesEvents(after: string, stream: StreamHead): boolean {
  if (!isStreamId(after)) return true;
  const fromHead = compareStreamIds(after, stream.head);
  if (fromHead > 0) return true;
  if (fromHead === 0) return false;
  if (stream.first === '') return true;
  if (compareStreamIds(after, stream.first) >= 0) return false;
  return stream.added < 0 || stream.added > stream.length;
}
