/**
 * Where each log line sits, so the view can render only the lines in view. Unwrapped, every line
 * is one row high. Wrapped, a line's height is estimated from its length (the font is monospaced)
 * until it has been rendered once and measured; the running sums are kept incrementally, since a
 * followed log grows by a batch each frame.
 */

export interface Layout {
  readonly total: number;
  offsetOf(index: number): number;
  heightOf(index: number): number;
  /** The line at this height from the top (the last one past the end). */
  indexAt(y: number): number;
}

export function uniformLayout(count: number, lineHeight: number): Layout {
  return {
    total: count * lineHeight,
    offsetOf: (index) => index * lineHeight,
    heightOf: () => lineHeight,
    indexAt: (y) => Math.max(0, Math.min(count - 1, Math.floor(y / lineHeight))),
  };
}

export class WrappedLayout implements Layout {
  private heights: number[] = [];
  /** offsets[i]: the top of line i; valid up to and including `valid`. */
  private offsets: number[] = [0];
  private valid = 0;

  constructor(
    private readonly lineHeight: number,
    /** Characters per row, and a line's length in characters. */
    private columns: number,
    private readonly lengthOf: (index: number) => number,
  ) {}

  get count(): number {
    return this.heights.length;
  }

  get total(): number {
    return this.offsetOf(this.heights.length);
  }

  /** Takes in the lines loaded since (their estimated heights). */
  sync(count: number): void {
    for (let index = this.heights.length; index < count; index += 1) {
      this.heights.push(this.estimate(index));
    }
  }

  /** The text column changed width: every estimate and measurement is off. */
  setColumns(columns: number): boolean {
    if (columns === this.columns) return false;
    this.columns = columns;
    for (let index = 0; index < this.heights.length; index += 1) {
      this.heights[index] = this.estimate(index);
    }
    this.valid = 0;
    return true;
  }

  /** Records a rendered line's real height; says whether it differed. */
  measure(index: number, height: number): boolean {
    if (index >= this.heights.length || height <= 0) return false;
    if (this.heights[index] === height) return false;
    this.heights[index] = height;
    this.valid = Math.min(this.valid, index);
    return true;
  }

  heightOf(index: number): number {
    return this.heights[index] ?? this.lineHeight;
  }

  offsetOf(index: number): number {
    const target = Math.min(index, this.heights.length);
    for (; this.valid < target; this.valid += 1) this.offsets[this.valid + 1] = this.offsets[this.valid]! + this.heights[this.valid]!;
    return this.offsets[target]!;
  }

  indexAt(y: number): number {
    const count = this.heights.length;
    if (count === 0) return 0;
    this.offsetOf(count);
    let low = 0;
    let high = count - 1;
    while (low < high) {
      const middle = (low + high + 1) >>> 1;
      if (this.offsets[middle]! <= y) low = middle;
      else high = middle - 1;
    }
    return low;
  }

  private estimate(index: number): number {
    const rows = this.columns > 0 ? Math.max(1, Math.ceil(this.lengthOf(index) / this.columns)) : 1;
    return rows * this.lineHeight;
  }
}
