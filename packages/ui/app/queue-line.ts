/**
 * Places in line, kept true from the event stream alone. A job's place is 1 + the queued jobs
 * submitted before it (ids sort by submission), so when a job leaves the line (it starts, or is
 * cancelled before it started) every queued job after it moves up one, and when one joins
 * (created, or queued again after its worker was lost) every queued job after it moves down one.
 * A created or requeued event says where its job joined; without one, a job queued again takes
 * the place after the queued job shown just before it, when there is one.
 */
import type { QueueRow } from './headline';

/** `waiting`: a queued job found waiting for a concurrency group; it keeps its place. */
export type LineEvent = 'created' | 'started' | 'progress' | 'finished' | 'requeued' | 'cancel-requested' | 'waiting';

/** Whether the event's job left the line or joined it; `before` is its row as shown, if it was. */
function lineChange(type: LineEvent, row: QueueRow, before: QueueRow | undefined): -1 | 0 | 1 {
  if (type === 'created' || type === 'requeued') return 1;
  if (type === 'started') return -1;
  if (type === 'finished') {
    // Finished without ever starting: it was cancelled while it waited.
    const wasQueued = before ? before.state === 'queued' : row.startedAt === null;
    return wasQueued ? -1 : 0;
  }
  return 0;
}

/** The rows with every place moved as the event moved the line, and the event's row with its own place. */
export function applyLineEvent(rows: QueueRow[], type: LineEvent, row: QueueRow): { rows: QueueRow[]; row: QueueRow } {
  const before = rows.find((r) => r.id === row.id);
  const change = lineChange(type, row, before);
  const moved =
    change === 0
      ? rows
      : rows.map((r) => (r.id > row.id && r.state === 'queued' && r.placeInLine !== undefined ? { ...r, placeInLine: r.placeInLine + change } : r));

  let place: number | undefined;
  if (row.state === 'queued') {
    if (row.placeInLine !== undefined) place = row.placeInLine;
    else if (type === 'requeued') {
      const ahead = moved.filter((r) => r.id < row.id && r.state === 'queued' && r.placeInLine !== undefined).sort((a, b) => (a.id < b.id ? 1 : -1))[0];
      place = ahead ? ahead.placeInLine! + 1 : undefined;
    } else place = before?.placeInLine;
  }
  const { placeInLine: _dropped, ...rest } = row;
  return { rows: moved, row: place === undefined ? rest : { ...rest, placeInLine: place } };
}
