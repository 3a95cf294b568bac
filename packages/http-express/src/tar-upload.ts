/**
 * `POST /build` with `Content-Type: application/x-tar`: the body is the build context, the
 * other fields are query parameters. The archive is streamed to the uploads directory (never
 * held in memory), capped at `maxBytes`, and kept until its job runs; the runner removes it.
 */
import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, open, rm } from 'node:fs/promises';
import path from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { BuilderError, CreateBuildPayload, ValidationError, parseOrThrow, type Builder, type JobUser } from '@docker-builder/core';
import type { NextFunction, Request, Response } from 'express';
import { TarBuildQuery } from './api-schemas.js';

export interface UploadOptions {
  /** Where archives wait for their job: the same directory the Docker runner reads (shared with workers). */
  dir: string;
  /** Largest archive accepted; default 512 MiB. */
  maxBytes?: number;
}

export const DEFAULT_MAX_UPLOAD_BYTES = 512 * 1024 * 1024;

export function tarUploadHandler(builder: Builder, options: UploadOptions) {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_UPLOAD_BYTES;
  return async (req: Request & { builderUser?: JobUser | null }, res: Response, next: NextFunction) => {
    if (!req.is('application/x-tar')) return next();
    // Every field is checked before a byte of the body is read.
    const payload = parseOrThrow(CreateBuildPayload, parseOrThrow(TarBuildQuery, { ...(req.query as object) }));
    if (Number(req.headers['content-length'] ?? 0) > maxBytes) throw tooLarge(maxBytes);

    await mkdir(options.dir, { recursive: true, mode: 0o700 });
    const uploadId = randomUUID();
    const file = path.join(options.dir, `${uploadId}.tar`);
    try {
      await pipeline(req, byteLimit(maxBytes), createWriteStream(file, { mode: 0o600 }));
      await assertArchive(file);
      res.status(202).json(await builder.submitBuild(payload, { user: req.builderUser ?? null, upload: uploadId }));
    } catch (error) {
      await rm(file, { force: true });
      throw error;
    }
  };
}

function byteLimit(maxBytes: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      seen += chunk.length;
      callback(seen > maxBytes ? tooLarge(maxBytes) : null, chunk);
    },
  });
}

function tooLarge(maxBytes: number): BuilderError {
  return new BuilderError('PAYLOAD_TOO_LARGE', `The build context archive is larger than this server accepts (${maxBytes} bytes).`);
}

/** A tar archive (ustar magic at byte 257), or one compressed with gzip, which the engine also reads. */
async function assertArchive(file: string): Promise<void> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(262);
    const { bytesRead } = await handle.read(head, 0, 262, 0);
    const gzip = bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b;
    const tar = bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar';
    if (!gzip && !tar) throw new ValidationError([{ path: 'body', message: 'must be a tar archive (optionally gzip-compressed)' }]);
  } finally {
    await handle.close();
  }
}
