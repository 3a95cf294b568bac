/**
 * The last lines of a log past its cap, held in memory until the job ends: a ring of fixed
 * capacity, bounded in lines and in UTF-8 bytes. A runaway runner may print millions of lines
 * after the cap, so each line costs O(1) here (no array shift, no growth).
 */

export interface LogTail {
  /**
   * Keeps `line` as the newest and returns how many lines fell out to stay within both bounds
   * (the oldest first; `line` itself when it alone is larger than the byte bound, so the kept
   * lines are always the contiguous end of the log).
   */
  push(line: string, bytes: number): number;
  /** The kept lines, oldest first. */
  lines(): string[];
  readonly size: number;
  readonly bytes: number;
}

export function createLogTail(bounds: { lines: number; bytes: number }): LogTail {
  const capacity = Math.max(0, Math.floor(bounds.lines));
  const slots: string[] = new Array<string>(capacity).fill('');
  const sizes = new Float64Array(capacity);
  let start = 0;
  let size = 0;
  let bytes = 0;

  const evictOldest = () => {
    bytes -= sizes[start]!;
    // Let the line be collected now rather than when its slot is reused.
    slots[start] = '';
    start = (start + 1) % capacity;
    size -= 1;
  };

  return {
    push(line, lineBytes) {
      if (capacity === 0 || lineBytes > bounds.bytes) {
        const fell = size + 1;
        while (size > 0) evictOldest();
        return fell;
      }
      let fell = 0;
      while (size > 0 && (size === capacity || bytes + lineBytes > bounds.bytes)) {
        evictOldest();
        fell += 1;
      }
      const at = (start + size) % capacity;
      slots[at] = line;
      sizes[at] = lineBytes;
      size += 1;
      bytes += lineBytes;
      return fell;
    },
    lines() {
      const kept: string[] = [];
      for (let i = 0; i < size; i += 1) kept.push(slots[(start + i) % capacity]!);
      return kept;
    },
    get size() {
      return size;
    },
    get bytes() {
      return bytes;
    },
  };
}
