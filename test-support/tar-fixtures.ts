/**
 * Tar archives for upload tests, written byte by byte so that a test can make the hostile ones
 * a tar tool would refuse to write: `../` and absolute names, links out of the archive, devices,
 * sizes of gigabytes that are never sent, and gzip bombs (many gzip members of zeros, which
 * cost about 1 KB each and unpack to 1 MiB each).
 */
import { gzipSync } from 'node:zlib';

export interface TarEntry {
  name: string;
  type?: 'file' | 'directory' | 'symlink' | 'link' | 'character-device' | 'fifo';
  linkname?: string;
  body?: string | Buffer;
  /** The size the header declares, when it is not the body's (a bomb's). */
  size?: number;
}

const TYPEFLAG = { file: '0', link: '1', symlink: '2', 'character-device': '3', directory: '5', fifo: '6' } as const;

/** One 512-byte ustar header; sizes over 8 GiB are written in base-256, as GNU tar does. */
export function tarHeader(entry: TarEntry): Buffer {
  const header = Buffer.alloc(512);
  const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
  const size = entry.size ?? body.length;
  const octal = (value: number, offset: number, length: number) => header.write(`${value.toString(8).padStart(length - 1, '0')}\0`, offset, length, 'latin1');
  if (Buffer.byteLength(entry.name) > 100) throw new Error('test names fit the 100-byte field');
  header.write(entry.name, 0, 100, 'utf8');
  octal(entry.type === 'directory' ? 0o755 : 0o644, 100, 8);
  octal(0, 108, 8);
  octal(0, 116, 8);
  if (size > 0o77777777777) {
    header[124] = 0x80;
    header.writeBigUInt64BE(BigInt(size), 128);
  } else {
    octal(size, 124, 12);
  }
  octal(1_700_000_000, 136, 12);
  header.write(TYPEFLAG[entry.type ?? 'file'], 156, 1, 'latin1');
  if (entry.linkname) header.write(entry.linkname, 157, 100, 'utf8');
  header.write('ustar\0', 257, 6, 'latin1');
  header.write('00', 263, 2, 'latin1');
  header.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of header) sum += byte;
  header.write(`${sum.toString(8).padStart(6, '0')}\0 `, 148, 8, 'latin1');
  return header;
}

/** A whole archive: each header, its body padded to 512 bytes, and the two zero blocks that end it. */
export function tarArchive(entries: TarEntry[]): Buffer {
  const parts: Buffer[] = [];
  for (const entry of entries) {
    const body = entry.body === undefined ? Buffer.alloc(0) : Buffer.from(entry.body);
    parts.push(tarHeader(entry), body, Buffer.alloc((512 - (body.length % 512)) % 512));
  }
  parts.push(Buffer.alloc(1024));
  return Buffer.concat(parts);
}

const MiB = 1024 * 1024;
let zerosMember: Buffer | undefined;

/** `mebibytes` MiB of zeros as a gzip stream of that many members, after an optional `head` (its own member). */
export function gzipOfZeros(mebibytes: number, head?: Buffer): Buffer {
  zerosMember ??= gzipSync(Buffer.alloc(MiB), { level: 9 });
  const members: Buffer[] = head ? [gzipSync(head)] : [];
  for (let i = 0; i < mebibytes; i += 1) members.push(zerosMember);
  return Buffer.concat(members);
}
