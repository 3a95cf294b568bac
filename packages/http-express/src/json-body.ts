/**
 * A route's JSON body, read with this router's limit and answered in its error format. A host
 * that puts its own parser in front (`app.use(express.json())`) has read the body before us:
 * its parser chose the limit it read up to and answered its own errors. What it hands on is
 * still held to ours: a declared length over `bodyLimit` is refused with our 413, and a body it
 * left as text or bytes (`express.text()`, `express.raw()`) is parsed as JSON here.
 */
import { BuilderError } from '@docker-builder/core';
import express, { type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';

const UNITS: Record<string, number> = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 };
const SIZE = /^(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?$/i;

const BodyLimit = z.union([z.number(), z.string()]).transform((limit, ctx) => {
  const match = typeof limit === 'string' ? SIZE.exec(limit.trim()) : null;
  const bytes = typeof limit === 'number' ? limit : match ? Math.floor(Number(match[1]) * UNITS[(match[2] ?? 'b').toLowerCase()]!) : NaN;
  if (!Number.isSafeInteger(bytes) || bytes < 1) {
    ctx.addIssue({ code: 'custom', message: 'must be a whole number of bytes (at least 1) or a size such as "512kb" or "1mb"' });
    return z.NEVER;
  }
  return bytes;
});

/** `bodyLimit` in bytes ("1mb" is 1 MiB, as in Express); throws, when the router is made, on a value Express would silently read as "no limit". */
export function bodyLimitBytes(limit: string | number | undefined): number {
  const parsed = BodyLimit.safeParse(limit ?? '1mb');
  if (!parsed.success) {
    throw new TypeError(`The router's bodyLimit (${JSON.stringify(limit)}) ${parsed.error.issues[0]?.message ?? 'is not a size'}.`);
  }
  return parsed.data;
}

export function jsonBody(limitBytes: number) {
  const parse = express.json({ limit: limitBytes, strict: true, type: () => true });
  return (req: Request, res: Response, next: NextFunction): void => {
    if (!readBefore(req)) return parse(req, res, next);
    if (Number(req.headers['content-length'] ?? 0) > limitBytes) throw tooLarge();
    const body: unknown = req.body;
    if (typeof body === 'string' || Buffer.isBuffer(body)) {
      if (Buffer.byteLength(body) > limitBytes) throw tooLarge();
      req.body = parseJson(body.toString());
    } else if (body === undefined) {
      // Something read the stream and kept nothing: a host's logger or proxy, not the client.
      throw new Error(
        'The request body was read before the router and not kept in req.body: mount the router before the middleware that reads it.',
      );
    }
    next();
  };
}

/** body-parser 1 (Express 4) marks the request; body-parser 2 (Express 5) leaves it read to its end. */
function readBefore(req: Request): boolean {
  return (req as { _body?: unknown })._body === true || req.readableEnded;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw new BuilderError('INVALID_JSON', 'The request body is not valid JSON.');
  }
}

function tooLarge(): BuilderError {
  return new BuilderError('PAYLOAD_TOO_LARGE', 'The request body is larger than this server accepts.');
}
