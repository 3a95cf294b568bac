/**
 * When a job's log lines were stored, as the log stream says it: runs (`{ from, at }`), one per
 * batch the server stored, so a 100,000-line log holds a few hundred entries, not 100,000. A
 * line's time is the run at or before it, found by binary search: the view asks only for the
 * lines it renders.
 */

export class LogTimes {
  private readonly froms: number[] = [];
  private readonly ats: number[] = [];

  /** A run from line `from` at `at` (ms). Runs come in order; a stream resumed at a line inside a run repeats it, which changes nothing. */
  add(from: number, at: number): void {
    if (!Number.isFinite(from) || !Number.isFinite(at)) return;
    const last = this.froms.length - 1;
    if (last >= 0 && from <= this.froms[last]!) {
      // Out of order (a stream opened again further back): keep the runs sorted.
      const before = this.runOf(from);
      if (before >= 0 && this.froms[before] === from) {
        this.ats[before] = at;
        return;
      }
      this.froms.splice(before + 1, 0, from);
      this.ats.splice(before + 1, 0, at);
      return;
    }
    if (last >= 0 && this.ats[last] === at) return;
    this.froms.push(from);
    this.ats.push(at);
  }

  /** The time of line `index` (ms), or undefined for a line stored before times were kept. */
  at(index: number): number | undefined {
    const run = this.runOf(index);
    return run >= 0 ? this.ats[run] : undefined;
  }

  private runOf(index: number): number {
    let low = 0;
    let high = this.froms.length - 1;
    let found = -1;
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (this.froms[middle]! <= index) {
        found = middle;
        low = middle + 1;
      } else high = middle - 1;
    }
    return found;
  }
}

const two = (value: number) => String(value).padStart(2, '0');

/** HH:MM:SS in the reader's time zone: what a line's time shows. */
export function clockTime(ms: number): string {
  const date = new Date(ms);
  return `${two(date.getHours())}:${two(date.getMinutes())}:${two(date.getSeconds())}`;
}
