/**
 * `POST /build` with `Content-Type: application/x-tar`: the body is the build context, the
 * other fields are query parameters. The archive is streamed to the uploads directory (never
 * held in memory), capped at `maxBytes`, then read through once more to see what it would
 * unpack to (archive-inspector.ts) before a job is created; it is kept until its job runs,
 * and the runner removes it. Anything refused leaves nothing behind.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BuilderError, CreateBuildPayload, ValidationError, parseOrThrow, type Builder, type JobUser } from '@docker-builder/core';
import type { NextFunction, Request, Response } from 'express';
import { TarBuildQuery } from './api-schemas.js';
import { ArchiveRefusal, archiveFormat, inspectArchive } from './archive-inspector.js';
import { prepareUploadsDir } from './uploads-dir.js';

export interface UploadOptions {
  /** Where archives wait for their job: the same directory the Docker runner reads (shared with workers). Created 0700. */
  dir: string;
  /** Largest archive accepted, as sent; default 512 MiB. */
  maxBytes?: number;
  /** Largest an archive may unpack to (a gzip of zeros compresses a thousandfold); default 2 GiB. */
  maxUnpackedBytes?: number;
  /** Most entries (files, directories, links) an archive may hold; default 100 000. */
  maxEntries?: number;
  /** Uploads received at once; more are answered 503 with Retry-After. Default 4. */
  maxConcurrent?: number;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024;
export const DEFAULT_MAX_UNPACKED_BYTES = 2 * 1024 * 1024 * 1024;
export const DEFAULT_MAX_UPLOAD_ENTRIES = 100_000;
export const DEFAULT_MAX_CONCURRENT_UPLOADS = 4;
/** Seconds a client refused for being one upload too many is asked to wait. */
const BUSY_RETRY_AFTER_SECONDS = 5;

export function tarUploadHandler(builder: Builder, options: UploadOptions) {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  const limits = {
    maxUnpackedBytes: options.maxUnpackedBytes ?? DEFAULT_MAX_UNPACKED_BYTES,
    maxEntries: options.maxEntries ?? DEFAULT_MAX_UPLOAD_ENTRIES,
  };
  const maxConcurrent = options.maxConcurrent ?? DEFAULT_MAX_CONCURRENT_UPLOADS;
  // At once, when the router is made: a server must not start on a directory others can reach.
  prepareUploadsDir(options.dir);
  let receiving = 0;

  return async (req: Request & { builderUser?: JobUser | null }, res: Response, next: NextFunction) => {
    if (!req.is('application/x-tar')) return next();
    // Every field is checked before a byte of the body is read.
    const payload = parseOrThrow(CreateBuildPayload, parseOrThrow(TarBuildQuery, { ...(req.query as object) }));
    if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw tooLarge(maxBytes);
    if (receiving >= maxConcurrent) {
      res.setHeader('Retry-After', String(BUSY_RETRY_AFTER_SECONDS));
      throw new BuilderError('BUSY', `This server is already receiving ${maxConcurrent} build contexts (UPLOAD_MAX_CONCURRENT); try again in a few seconds.`);
    }

    receiving += 1;
    const uploadId = randomUUID();
    const file = path.join(options.dir, `${uploadId}.tar`);
    try {
      await receive(req, file, maxBytes);
      const format = await archiveFormat(file);
      if (!format) throw new ValidationError([{ path: 'body', message: 'must be a tar archive (optionally gzip-compressed)' }]);
      await inspectArchive(file, format, limits);
      res.status(202).json(await builder.submitBuild(payload, { user: req.builderUser ?? null, upload: uploadId }));
    } catch (error) {
      await rm(file, { force: true });
      throw toUploadError(error);
    } finally {
      receiving -= 1;
    }
  };
}

/**
 * Streams the body into `file`. The request is piped, not handed to pipeline(), so that a
 * failure on our side (a full disk) does not destroy the connection: the rest of the body is
 * read and dropped, up to `maxBytes` in all, so the client can read the error we answer.
 */
async function receive(req: Request, file: string, maxBytes: number): Promise<void> {
  let seen = 0;
  const limit = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > maxBytes ? tooLarge(maxBytes) : null, chunk);
    },
  });
  const written = pipeline(limit, createWriteStream(file, { mode: 0o600, flags: 'wx' }));
  const gone = () => {
    if (!req.complete) limit.destroy(new Error('the client closed the connection before the whole archive arrived'));
  };
  req.once('close', gone);
  req.once('error', gone);
  req.pipe(limit);
  try {
    await written;
  } catch (error) {
    req.unpipe(limit);
    if (!req.complete && !req.destroyed) {
      req.on('data', (chunk: Buffer) => {
        seen += chunk.length;
        if (seen > maxBytes) req.destroy();
      });
      req.resume();
    }
    throw error;
  } finally {
    req.off('close', gone);
    req.off('error', gone);
  }
}

function tooLarge(maxBytes: number): BuilderError {
  return new BuilderError('PAYLOAD_TOO_LARGE', `The build context archive is larger than this server accepts (${maxBytes} bytes).`);
}

/** What the client should see: the archive's fault (400), or a full disk (507), rather than a bare 500. */
function toUploadError(error: unknown): unknown {
  if (error instanceof ArchiveRefusal) return new ValidationError([{ path: 'body', message: error.message }]);
  const code = (error as NodeJS.ErrnoException | null)?.code;
  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new BuilderError(
      'INSUFFICIENT_STORAGE',
      'The server has no room left to store this build context (its uploads directory is full); try again later, or ask an operator to free space in UPLOADS_DIR.',
      { cause: error },
    );
  }
  return error;
}
