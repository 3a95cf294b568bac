/**
 * The uploads directory holds build contexts between their upload and their build: whoever may
 * write there can swap a context under a queued job, whoever may read it sees other users' code.
 * So it is created owner-only (0700), and refused if it exists owned by another user or open
 * to its group or others (a directory someone else made in /tmp first, say).
 */
import { lstatSync, mkdirSync, statSync } from 'node:fs';

export class UploadsDirError extends Error {
  override name = 'UploadsDirError';
  /** How to recognise it whichever copy of this package threw it (see isUploadsDirError). */
  readonly code = 'UPLOADS_DIR_UNUSABLE';
}

/** An UploadsDirError from any copy of this package (its CommonJS or ES module build): recognised by its `code`. */
export function isUploadsDirError(value: unknown): value is UploadsDirError {
  return value instanceof Error && (value as { code?: unknown }).code === 'UPLOADS_DIR_UNUSABLE';
}

/** Creates the directory (0700) if it is missing; throws UploadsDirError saying what to fix. */
export function prepareUploadsDir(dir: string): void {
  const named = `The uploads directory ${dir} (UPLOADS_DIR; the router's uploads.dir)`;
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new UploadsDirError(`${named} cannot be created: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}.`);
  }
  const uid = process.getuid?.();
  const link = lstatSync(dir);
  if (link.isSymbolicLink() && uid !== undefined && link.uid !== uid) {
    throw new UploadsDirError(`${named} is a symbolic link owned by uid ${link.uid}, not by this server's user (uid ${uid}): point UPLOADS_DIR at a directory of your own.`);
  }
  const stats = statSync(dir);
  if (!stats.isDirectory()) throw new UploadsDirError(`${named} is not a directory.`);
  if (uid !== undefined && stats.uid !== uid) {
    throw new UploadsDirError(
      `${named} is owned by uid ${stats.uid}, not by this server's user (uid ${uid}): another user could change uploads there. Point UPLOADS_DIR at a directory of your own.`,
    );
  }
  if ((stats.mode & 0o077) !== 0) {
    throw new UploadsDirError(
      `${named} is open to its group or others (mode ${(stats.mode & 0o777).toString(8).padStart(4, '0')}): run "chmod 700 ${dir}", or point UPLOADS_DIR at a private directory.`,
    );
  }
}
