/**
 * Streams a runner's lines into the store in batches: one write in flight at a time, a
 * flush every `flushIntervalMs` or every `maxBatch` lines. Past `maxLines` lines, or
 * `maxBytes` bytes, lines are dropped and counted, and the log's last line says how many.
 */
import type { JobStore } from './ports/job-store.js';
import { toLogLines } from './log-line.js';

export interface LogLimits {
  /** Lines kept per job; default 100 000. */
  maxLines: number;
  /**
   * UTF-8 bytes kept per attempt of a job; default 64 MiB. The line cap alone would allow
   * 100 000 lines of 16 KiB each (1.6 GB of Redis for one job).
   */
  maxBytes: number;
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
  maxLineLength: 16_384,
  flushIntervalMs: 100,
  maxBatch: 500,
};

export interface JobLogWriter {
  write(text: string): void;
  /**
   * Adds the cap line if lines were dropped, waits for every write (the one in flight too),
   * retries a failed one a few times, and stops. Resolves with how many lines could not be
   * stored (0 when the log is complete); never rejects.
   */
  close(): Promise<number>;
  /** Resolves when everything written so far is stored. */
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
  let buffer: string[] = [];
  let accepted = options.existingLines;
  let bytes = 0;
  // Which cap stopped the log first; from then on every line is dropped, so the log stays a
  // prefix of what the runner wrote rather than a sample of it.
  let capped: 'lines' | 'bytes' | null = null;
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

  return {
    write(text) {
      if (closed || fenced) return;
      for (const line of toLogLines(text, limits.maxLineLength)) {
        const size = utf8Length(line);
        if (!capped && accepted >= limits.maxLines) capped = 'lines';
        else if (!capped && bytes + size > limits.maxBytes) capped = 'bytes';
        if (capped) {
          dropped += 1;
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
        if (dropped > 0) {
          const limit = capped === 'bytes' ? formatBytes(limits.maxBytes) : `${limits.maxLines} lines`;
          buffer.push(`[docker-builder] log limit of ${limit} reached: ${dropped} more line${dropped === 1 ? ' was' : 's were'} dropped`);
        }
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
