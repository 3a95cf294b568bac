/** Page cursors: opaque to clients, the id of the last job of the page inside. */
import { ValidationError } from './errors.js';
import { isJobId } from './job-id.js';

export function encodeJobCursor(lastId: string): string {
  return Buffer.from(lastId, 'utf8').toString('base64url');
}

export function decodeJobCursor(cursor: string): string {
  const id = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!isJobId(id)) throw new ValidationError([{ path: 'cursor', message: 'is not a cursor this server gave out' }]);
  return id;
}
