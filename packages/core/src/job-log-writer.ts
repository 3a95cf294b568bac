/**
 * Streams a runner's lines into the store in batches: one write in flight at a time, a
 * flush every `flushIntervalMs` or every `maxBatch` lines. A runaway log keeps its beginning
 * and its end (where a recap or the failure is): past its head, lines go to a bounded ring and
 * only the last of them are appended when the job ends, after a line saying how many in between
 * were dropped. The log stays append-only, so line indexes (what followers resume from) never move.
 */
import type { JobStore } from './ports/job-store.js';
import { toLogLines } from './log-line.js';
import { createLogTail, type LogTail } from './log-tail.js';

export interface LogLimits {
  /**
   * Lines kept per job, earlier attempts' included; default 100 000. A log that reaches it
   * keeps its first lines (up to `maxLines` minus the tail and two lines of explanation) and
   * its last ones (see `tailLines`).
   */
  maxLines: number;
  /**
   * UTF-8 bytes kept per attempt of a job, the tail included; default 64 MiB. The line cap
   * alone would allow 100 000 lines of 16 KiB each (1.6 GB of Redis for one job).
   */
  maxBytes: number;
  /**
   * Past the cap, how many of the last lines are kept (in memory until the job ends, then
   * appended); default 1 000, and never more than a tenth of `maxLines`.
   */
  tailLines: number;
  /** UTF-8 bytes those last lines may hold; default 4 MiB, and never more than a tenth of `maxBytes`. */
  tailBytes: number;
  /** Characters kept per line; default 16 384. */
  maxLineLength: number;
  /** Default 100 ms. */
  flushIntervalMs: number;
  /** Default 500 lines. */
  maxBatch: number;
}

export const DEFAULT_LOG_LIMITS: LogLimits = {
  maxLines: 100_000,
  maxBytes: 64 * 1024 * 1024,
  tailLines: 1_000,
  tailBytes: 4 * 1024 * 1024,
  maxLineLength: 16_384,
  flushIntervalMs: 100,
  maxBatch: 500,
};

/** The two lines a capped log gains: one when its head is full, one before its tail. */
const MARKER_LINES = 2;
/** Bytes set aside for them (each is a short ASCII line, well under half of this). */
const MARKER_BYTES = 512;

export interface JobLogWriter {
  write(text: string): void;
  /**
   * Appends the dropped-lines line and the kept last lines if the log was capped, waits for
   * every write (the one in flight too), retries a failed one a few times, and stops. Resolves
   * with how many lines could not be stored (0 when the log is complete); never rejects.
   */
  close(): Promise<number>;
  /** Resolves when everything written so far is stored, except the last lines a capped log holds until `close`. */
  flush(): Promise<void>;
}

export interface JobLogWriterOptions {
  store: JobStore;
  jobId: string;
  attempt: number;
  /** Lines already in the log (written by an earlier attempt); they count toward the cap. */
  existingLines: number;
  limits: LogLimits;
  /** Called once when the store refuses a write: this attempt no longer owns the job. */
  onFenced(): void;
}

export function createJobLogWriter(options: JobLogWriterOptions): JobLogWriter {
  const { store, jobId, attempt, limits } = options;
  // What this attempt may add. A retry whose earlier attempt filled the log to its last line or
  // two keeps no tail; it still says, in one line, how many lines it dropped.
  const room = limits.maxLines - options.existingLines;
  const announce = room >= MARKER_LINES;
  const tailBounds = {
    lines: Math.max(0, Math.min(limits.tailLines, Math.floor(limits.maxLines / 10), room - MARKER_LINES)),
    bytes: Math.max(0, Math.min(limits.tailBytes, Math.floor(limits.maxBytes / 10))),
  };
  const headLines = limits.maxLines - tailBounds.lines - MARKER_LINES;
  const headBytes = limits.maxBytes - tailBounds.bytes - MARKER_BYTES;

  let buffer: string[] = [];
  let accepted = options.existingLines;
  let bytes = 0;
  // Which cap ended the head; from then on every line goes to the tail, so the log is the
  // runner's output with one contiguous stretch cut out, never a sample of it.
  let capped: 'lines' | 'bytes' | null = null;
  let tail: LogTail | undefined;
  let dropped = 0;
  let fenced = false;
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let inFlight: Promise<void> = Promise.resolve();
  let closing: Promise<number> | undefined;

  const drain = async (): Promise<void> => {
    while (buffer.length > 0 && !fenced) {
      const batch = buffer;
      buffer = [];
      try {
        const length = await store.appendLogs(jobId, batch, { attempt });
        if (length === null) {
          fenced = true;
          options.onFenced();
        }
      } catch {
        // Keep the lines for the next flush rather than lose them on a passing store error.
        buffer = batch.concat(buffer);
        return;
      }
    }
  };

  const flush = (): Promise<void> => {
    if (timer) {
      clearTimeout(timer);
      timer = undefined;
    }
    inFlight = inFlight.then(drain);
    return inFlight;
  };

  const schedule = () => {
    if (buffer.length >= limits.maxBatch) void flush();
    else timer ??= setTimeout(() => void flush(), limits.flushIntervalMs);
  };

  const limitName = () => (capped === 'bytes' ? formatBytes(limits.maxBytes) : `${limits.maxLines} lines`);

  const startTail = (cause: 'lines' | 'bytes') => {
    capped = cause;
    tail = createLogTail(tailBounds);
    // Said at once: a follower sees why the log went quiet, and the line keeps its place.
    if (!announce) return;
    buffer.push(
      tailBounds.lines > 0
        ? `[docker-builder] log limit of ${limitName()} reached: from here only the last ${plural(tailBounds.lines, 'line')} (up to ${formatBytes(tailBounds.bytes)}) are kept; they appear when the job ends`
        : `[docker-builder] log limit of ${limitName()} reached: the rest of this log is dropped`,
    );
  };

  const endTail = () => {
    if (!tail) return;
    const kept = tail.lines();
    const what = dropped > 0 ? `${plural(dropped, 'line')} ${dropped === 1 ? 'was' : 'were'} dropped here` : 'no line was dropped after all';
    const follow = kept.length > 0 ? `; the last ${plural(kept.length, 'line')} of the log follow` : '';
    buffer.push(`[docker-builder] log limit of ${limitName()} reached: ${what}${follow}`);
    // One by one: spreading a large tail into push() would pass more arguments than the stack holds.
    for (const line of kept) buffer.push(line);
    tail = undefined;
  };

  return {
    write(text) {
      if (closed || fenced) return;
      for (const line of toLogLines(text, limits.maxLineLength)) {
        const size = utf8Length(line);
        if (!capped && accepted >= headLines) startTail('lines');
        else if (!capped && bytes + size > headBytes) startTail('bytes');
        if (tail) {
          dropped += tail.push(line, size);
          continue;
        }
        accepted += 1;
        bytes += size;
        buffer.push(line);
      }
      if (buffer.length > 0) schedule();
    },
    flush,
    close() {
      if (!closed) {
        closed = true;
        endTail();
      }
      closing ??= (async () => {
        for (let tries = 1; ; tries += 1) {
          // flush() runs after the batch in flight, so lines a failed batch put back are seen here.
          await flush();
          if (buffer.length === 0 || fenced) return 0;
          if (tries === 4) return buffer.length;
          await new Promise((resolve) => setTimeout(resolve, 100 * tries));
        }
      })();
      return closing;
    },
  };
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`;
}

/** Bytes of `text` in UTF-8 (what Redis stores), without encoding it. */
function utf8Length(text: string): number {
  let length = 0;
  for (let i = 0; i < text.length; i += 1) {
    const code = text.charCodeAt(i);
    if (code < 0x80) length += 1;
    else if (code < 0x800) length += 2;
    else if (code >= 0xd800 && code <= 0xdbff && i + 1 < text.length) {
      // A surrogate pair is one code point: four bytes. (toLogLines replaced lone surrogates.)
      length += 4;
      i += 1;
    } else length += 3;
  }
  return length;
}

function formatBytes(count: number): string {
  const MiB = 1024 * 1024;
  return count >= MiB && count % MiB === 0 ? `${count / MiB} MiB` : `${count} bytes`;
}
