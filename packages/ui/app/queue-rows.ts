/**
 * The rows a queue view shows, kept true from the event stream: a job event updates its row,
 * drops it once it leaves the view's filters, or adds it where it sorts; places in line move
 * with every job that joins or leaves the line (queue-line.ts).
 */
import type { QueueRow } from './headline';
import { applyLineEvent, type LineEvent } from './queue-line';
import type { QueueView } from './queue-query';
import { normalizeSearch } from './search-terms';

export const PAGE_SIZE = 25;

export interface Shown {
  rows: QueueRow[];
  nextCursor: string | null;
}

export function inView(row: QueueRow, view: QueueView): boolean {
  return (
    (view.states.length === 0 || view.states.includes(row.state)) &&
    (!view.kind || view.kind === row.kind) &&
    (!view.q || row.terms.includes(normalizeSearch(view.q)))
  );
}

export function applyEvent(shown: Shown, type: LineEvent, eventRow: QueueRow, view: QueueView): Shown {
  const { rows, row } = applyLineEvent(shown.rows, type, eventRow);
  const matches = inView(row, view);
  const at = rows.findIndex((r) => r.id === row.id);
  if (at >= 0) return { ...shown, rows: matches ? rows.with(at, row) : rows.toSpliced(at, 1) };
  // Older pages do not move under the reader; the first page shows what is new.
  if (!matches || view.cursor) return { ...shown, rows };
  const last = rows[rows.length - 1];
  if (rows.length >= PAGE_SIZE && last && row.id < last.id) return { ...shown, rows };
  return { ...shown, rows: [...rows, row].sort((a, b) => (a.id < b.id ? 1 : -1)).slice(0, PAGE_SIZE) };
}
