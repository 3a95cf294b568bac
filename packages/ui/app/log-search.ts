/**
 * Searching a log the view does not render: the whole array of loaded lines is scanned, not the
 * DOM. A log grows while it is followed, so a scan remembers how far it got and only reads the
 * lines that arrived since (a 100,000-line log is read once per query, not once per frame).
 */
import { plainText, type Segment } from './ansi';

export interface Hit {
  line: number;
  start: number;
  end: number;
}

/** Past this many matches the count says "10000+": more would cost memory and say nothing new. */
export const MAX_HITS = 10_000;

const plainCache = new WeakMap<string[], string[]>();

/** Line `index` without its colour codes, remembered per log (a line never changes once loaded). */
export function plainLine(lines: string[], index: number): string {
  const line = lines[index];
  if (line === undefined) return '';
  let cache = plainCache.get(lines);
  if (!cache) plainCache.set(lines, (cache = []));
  return (cache[index] ??= plainText(line));
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

export class LogSearch {
  readonly hits: Hit[] = [];
  capped = false;
  private scanned = 0;
  private readonly pattern: RegExp | null;

  constructor(
    private readonly lines: string[],
    readonly query: string,
  ) {
    this.pattern = query ? new RegExp(escapeRegExp(query), 'gi') : null;
  }

  /** Reads the lines loaded since the last call; the hits stay in line order. */
  advance(): this {
    const pattern = this.pattern;
    if (!pattern) return this;
    for (; this.scanned < this.lines.length && !this.capped; this.scanned += 1) {
      if (this.lines[this.scanned] === undefined) break;
      const text = plainLine(this.lines, this.scanned);
      pattern.lastIndex = 0;
      for (let match = pattern.exec(text); match; match = pattern.exec(text)) {
        if (this.hits.length === MAX_HITS) {
          this.capped = true;
          break;
        }
        this.hits.push({ line: this.scanned, start: match.index, end: match.index + match[0].length });
      }
    }
    return this;
  }
}

// Ansible's `fatal: [host]: FAILED!`, `failed: [host] (item=…)` and `ERROR!`; Docker's
// `ERROR: failed to solve`, `error during connect`. Whole words, so `stderr` or `failed=0` in a
// recap do not count.
const ERROR_LINE = /\bfatal:|\bfailed:|ERROR!|\berror\b|\bERROR\b/;

/** Finds the first line that reads like the failure, skipping errors ansible was told to ignore. */
export class FirstError {
  line: number | null = null;
  private scanned = 0;
  private readonly errorText: string | null;

  constructor(
    private readonly lines: string[],
    jobError: string | null,
  ) {
    // The job's own error text, when it is specific enough to point at one line.
    const first = jobError?.split('\n')[0]?.trim() ?? '';
    this.errorText = first.length >= 12 ? first : null;
  }

  /** Reads on; `complete` once no line will follow (a line is settled by what comes after it). */
  advance(complete: boolean): this {
    for (; this.line === null && this.scanned < this.lines.length; this.scanned += 1) {
      if (this.lines[this.scanned] === undefined) break;
      if (!this.isError(this.scanned)) continue;
      const ignored = this.ignored(this.scanned, complete);
      if (ignored === undefined) break;
      if (!ignored) this.line = this.scanned;
    }
    return this;
  }

  private isError(index: number): boolean {
    const text = plainLine(this.lines, index);
    return ERROR_LINE.test(text) || (this.errorText !== null && text.includes(this.errorText));
  }

  /** Whether ansible printed `...ignoring` after this result (undefined: not known yet). */
  private ignored(index: number, complete: boolean): boolean | undefined {
    let next = index + 1;
    // A result printed as an indented object ends at its closing brace.
    if (plainLine(this.lines, index).trimEnd().endsWith('{')) {
      while (next < this.lines.length && plainLine(this.lines, next).trimEnd() !== '}') next += 1;
      next += 1;
    }
    if (next >= this.lines.length) return complete ? false : undefined;
    return plainLine(this.lines, next).trim() === '...ignoring';
  }
}

export interface Mark {
  start: number;
  end: number;
  current: boolean;
}

export interface MarkedSegment extends Segment {
  mark: 'hit' | 'current' | null;
}

/** Cuts a line's coloured segments where the marks begin and end. */
export function markSegments(segments: Segment[], marks: Mark[]): MarkedSegment[] {
  if (marks.length === 0) return segments.map((segment) => ({ ...segment, mark: null }));
  const out: MarkedSegment[] = [];
  let offset = 0;
  for (const segment of segments) {
    const end = offset + segment.text.length;
    let cut = offset;
    for (const mark of marks) {
      if (mark.end <= cut || mark.start >= end) continue;
      if (mark.start > cut) out.push({ text: segment.text.slice(cut - offset, mark.start - offset), className: segment.className, mark: null });
      const stop = Math.min(mark.end, end);
      out.push({ text: segment.text.slice(Math.max(mark.start, cut) - offset, stop - offset), className: segment.className, mark: mark.current ? 'current' : 'hit' });
      cut = stop;
    }
    if (cut < end) out.push({ text: segment.text.slice(cut - offset), className: segment.className, mark: null });
    offset = end;
  }
  return out;
}

/** The hits on lines [from, to), by line: a binary search, then a walk. */
export function hitsByLine(hits: Hit[], current: number, from: number, to: number): Map<number, Mark[]> {
  const out = new Map<number, Mark[]>();
  let low = 0;
  let high = hits.length;
  while (low < high) {
    const middle = (low + high) >>> 1;
    if (hits[middle]!.line < from) low = middle + 1;
    else high = middle;
  }
  for (let i = low; i < hits.length && hits[i]!.line < to; i += 1) {
    const hit = hits[i]!;
    const list = out.get(hit.line) ?? [];
    list.push({ start: hit.start, end: hit.end, current: i === current });
    out.set(hit.line, list);
  }
  return out;
}
