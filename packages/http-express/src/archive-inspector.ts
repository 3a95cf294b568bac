/**
 * Looks inside an uploaded build context before any engine does: a tar archive, maybe
 * gzip-compressed, read as a stream from the uploads directory (never whole into memory).
 * Refused when it unpacks to more than `maxUnpackedBytes` (a 10 MB gzip of zeros can be
 * 10 GB on the engine's disk), holds more than `maxEntries` entries, or holds an entry that
 * would land outside the context: an absolute path, a `..`, or a link that leads out (also
 * through other links). Devices and other special files are refused: a context needs none.
 */
import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createGunzip } from 'node:zlib';
import { extract, type Headers as Header } from 'tar-stream';

export interface ArchiveLimits {
  maxUnpackedBytes: number;
  maxEntries: number;
}

export interface ArchiveSummary {
  entries: number;
  unpackedBytes: number;
}

/** Why an archive is refused; the message completes "body: …". */
export class ArchiveRefusal extends Error {
  override name = 'ArchiveRefusal';
}

const CONTEXT_TYPES = new Set<Header['type']>(['file', 'contiguous-file', 'directory', 'symlink', 'link']);
/**
 * Bytes allowed between one entry's end and the next entry's header: room for a long-name or
 * PAX header (tar-stream takes 4 MiB at most, Go's tar 1 MiB) and the few KiB of zeros a tar
 * tool pads with. The engine stops reading at the end-of-archive zeros, and so do we; parsing
 * a gigabyte of zero blocks would cost seconds of CPU per upload.
 */
const MAX_BYTES_BETWEEN_ENTRIES = 8 * 1024 * 1024;
/** More hops than any real context needs; a loop of links would never end. */
const MAX_LINK_HOPS = 40;

/** A tar archive (ustar magic at byte 257), or one compressed with gzip, which the engine also reads. */
export async function archiveFormat(file: string): Promise<'tar' | 'gzip' | null> {
  const handle = await open(file, 'r');
  try {
    const head = Buffer.alloc(262);
    const { bytesRead } = await handle.read(head, 0, 262, 0);
    if (bytesRead >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
    if (bytesRead >= 262 && head.subarray(257, 262).toString('latin1') === 'ustar') return 'tar';
    return null;
  } finally {
    await handle.close();
  }
}

export async function inspectArchive(file: string, format: 'tar' | 'gzip', limits: ArchiveLimits): Promise<ArchiveSummary> {
  const source = createReadStream(file);
  const gunzip = format === 'gzip' ? createGunzip() : null;
  const decoded = gunzip ? source.pipe(gunzip) : source;
  const tar = extract();
  const links = new Map<string, { target: string; hard: boolean; name: string }>();
  const parents = new Map<string, string>();
  let unpackedBytes = 0;
  let lastEntryEnd = 0;
  let inEntry = false;
  let declaredBytes = 0;
  let entries = 0;

  const tooBig = () => `unpacks to more than ${limits.maxUnpackedBytes} bytes, the most this server accepts`;

  /** What is wrong with one entry on its own (links are judged once all are known). */
  const entryProblem = (header: Header): string | null => {
    entries += 1;
    if (entries > limits.maxEntries) return `holds more than ${limits.maxEntries} entries, the most this server accepts`;
    declaredBytes += header.size ?? 0;
    if (declaredBytes > limits.maxUnpackedBytes) return tooBig();
    const name = header.name;
    if (!CONTEXT_TYPES.has(header.type)) {
      return `holds ${quote(name)}, a ${header.type ?? 'special'} entry: a build context may hold only files, directories and links`;
    }
    if (name.startsWith('/')) return `holds ${quote(name)}, an absolute path: entries must be relative to the context`;
    const parts = segments(name);
    if (parts.includes('..')) return `holds ${quote(name)}, which leads outside the context ("..")`;
    const key = parts.join('/');
    if (header.type === 'symlink' || header.type === 'link') {
      const target = header.linkname ?? '';
      if (target === '' || target.startsWith('/')) {
        return `holds ${quote(name)}, a link to ${target === '' ? 'nothing' : `the absolute path ${quote(target)}`}: links must stay inside the context`;
      }
      if (links.has(key)) return `holds ${quote(name)} twice, once as a link`;
      if (parents.has(key)) return `holds ${quote(name)}, a link in place of a directory it has already put entries in`;
      links.set(key, { target, hard: header.type === 'link', name });
    } else if (links.has(key)) {
      return `holds ${quote(name)} twice, once as a link`;
    }
    if (parts.length > 1 && !parents.has(parts.slice(0, -1).join('/'))) parents.set(parts.slice(0, -1).join('/'), name);
    return null;
  };

  await new Promise<void>((resolve, reject) => {
    let settled = false;
    const fail = (error: unknown) => {
      if (settled) return;
      settled = true;
      source.destroy();
      gunzip?.destroy();
      tar.destroy();
      reject(error);
    };
    tar.on('entry', (header, stream, next) => {
      const problem = entryProblem(header);
      if (problem) return fail(new ArchiveRefusal(problem));
      inEntry = true;
      stream.on('end', () => {
        inEntry = false;
        lastEntryEnd = unpackedBytes;
        next();
      });
      stream.resume();
    });
    tar.on('error', (error: Error) => fail(new ArchiveRefusal(`must be a tar archive (optionally gzip-compressed): ${error.message}`)));
    tar.on('finish', () => {
      if (settled) return;
      settled = true;
      resolve();
    });
    tar.on('drain', () => decoded.resume());
    decoded.on('data', (chunk: Buffer) => {
      unpackedBytes += chunk.length;
      if (unpackedBytes > limits.maxUnpackedBytes) return fail(new ArchiveRefusal(tooBig()));
      if (!inEntry && unpackedBytes - lastEntryEnd > MAX_BYTES_BETWEEN_ENTRIES) {
        return fail(new ArchiveRefusal(`has more than ${MAX_BYTES_BETWEEN_ENTRIES} bytes without an entry (zeros after its end, say): a tar archive ends with a few KiB of zeros at most`));
      }
      if (!tar.write(chunk)) decoded.pause();
    });
    decoded.on('end', () => tar.end(undefined));
    gunzip?.on('error', (error) => fail(new ArchiveRefusal(`is not a valid gzip stream: ${error.message}`)));
    source.on('error', fail);
  });

  // Now that every link is known: each must resolve inside the context, following the others,
  // and so must the directory of every entry (a file written through a link lands where it points).
  for (const [key, link] of links) {
    const start = link.hard ? segments(link.target) : [...segments(key).slice(0, -1), ...segments(link.target)];
    if (!resolvesInside(start, links)) return refuse(`holds ${quote(link.name)}, a link to ${quote(link.target)}, which leads outside the context`);
  }
  for (const [parent, name] of parents) {
    if (!resolvesInside(segments(parent), links)) return refuse(`holds ${quote(name)}, which lies behind a link that leads outside the context`);
  }
  return { entries, unpackedBytes };
}

function refuse(message: string): never {
  throw new ArchiveRefusal(message);
}

function segments(name: string): string[] {
  return name.split('/').filter((part) => part !== '' && part !== '.');
}

/** Walks a path from the context's root, following symbolic links as the kernel would; false if it ever steps above the root. */
function resolvesInside(start: string[], links: Map<string, { target: string; hard: boolean }>): boolean {
  const queue = [...start];
  const at: string[] = [];
  let hops = 0;
  while (queue.length > 0) {
    const part = queue.shift()!;
    if (part === '' || part === '.') continue;
    if (part === '..') {
      if (at.length === 0) return false;
      at.pop();
      continue;
    }
    at.push(part);
    const link = links.get(at.join('/'));
    if (link && !link.hard) {
      if ((hops += 1) > MAX_LINK_HOPS || link.target.startsWith('/')) return false;
      at.pop();
      queue.unshift(...link.target.split('/'));
    }
  }
  return true;
}

/** An entry's name for a message: quoted, cut short, every non-ASCII or control character escaped. */
function quote(name: string): string {
  const short = name.length > 200 ? `${name.slice(0, 200)}...` : name;
  return JSON.stringify(short).replace(/[^\x20-\x7e]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`);
}
