/**
 * Uploaded build contexts are looked into before a job exists: what they unpack to, how many
 * entries they hold, where each entry would land; how many arrive at once; a full disk; and
 * who owns the directory they wait in. Whatever is refused leaves nothing behind.
 */
import { execFileSync } from 'node:child_process';
import { chmodSync, chownSync, existsSync, mkdirSync, mkdtempSync, readdirSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import { createBuilder } from '@docker-builder/core';
import { createScriptedRunner } from '@docker-builder/core/testing';
import { createMemoryJobStore } from '@docker-builder/store-memory';
import { createBuilderRouter } from '@docker-builder/http-express';
import { gzipOfZeros, tarArchive, tarHeader, type TarEntry } from '../../../test-support/tar-fixtures.js';
import { startHarness, type Harness } from './harness.js';

const MiB = 1024 * 1024;
let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

async function withUploads(limits: { maxUnpackedBytes?: number; maxEntries?: number; maxConcurrent?: number; maxBytes?: number } = {}, dir?: string) {
  const uploads = dir ?? mkdtempSync(path.join(tmpdir(), 'uploads-'));
  harness = await startHarness({ router: { uploads: { dir: uploads, ...limits } } });
  const upload = (body: Buffer | ReadableStream, query = 'service=app&push=false') =>
    fetch(`${harness!.url}/build?${query}`, { method: 'POST', headers: { 'Content-Type': 'application/x-tar' }, body, duplex: 'half' } as RequestInit);
  const jobs = async () => (await harness!.builder.list({ limit: 50 })).jobs;
  return { uploads, upload, jobs };
}

async function expectRefused(response: Response, status: number, message: string | RegExp) {
  const body = (await response.json()) as { error: { code: string; message: string; issues?: Array<{ path: string; message: string }> } };
  expect(response.status, JSON.stringify(body)).toBe(status);
  if (status === 400) {
    expect(body.error.issues).toHaveLength(1);
    expect(body.error.issues![0]!.path).toBe('body');
    expect(body.error.issues![0]!.message).toMatch(message);
  } else {
    expect(body.error.message).toMatch(message);
  }
  return body;
}

const file = (name: string, body = 'x\n'): TarEntry => ({ name, body });
const dockerfile = file('Dockerfile', 'FROM scratch\n');

describe('what an uploaded archive may unpack to', () => {
  it('refuses a 10 MB gzip of zeros that would unpack to 10 GiB, within seconds, with the default limits', async () => {
    const { upload, uploads, jobs } = await withUploads();
    const bomb = gzipOfZeros(10 * 1024);
    expect(bomb.length).toBeLessThan(12 * MiB);
    const started = Date.now();
    await expectRefused(await upload(bomb), 400, 'has more than 8388608 bytes without an entry (zeros after its end, say)');
    expect(Date.now() - started).toBeLessThan(5_000);
    // Zeros after real entries too: the engine would stop at the first two zero blocks; so do we, soon.
    const padded = gzipOfZeros(1024, tarArchive([dockerfile]));
    await expectRefused(await upload(padded), 400, 'without an entry');
    expect(readdirSync(uploads)).toEqual([]);
    expect(await jobs()).toEqual([]);
  });

  it('refuses at its header an entry that says it is 10 GiB, before unpacking it', async () => {
    const { upload, uploads, jobs } = await withUploads();
    const bomb = gzipOfZeros(8, tarHeader({ name: 'zeros.bin', size: 10 * 1024 * MiB }));
    await expectRefused(await upload(bomb), 400, 'unpacks to more than 2147483648 bytes');
    expect(readdirSync(uploads)).toEqual([]);
    expect(await jobs()).toEqual([]);
  });

  it('takes a large entry of honest size: the limits are on what it says and holds, not on how well it compresses', async () => {
    const { upload, uploads, jobs } = await withUploads();
    const head = Buffer.concat([tarArchive([dockerfile]).subarray(0, 1024), tarHeader({ name: 'model.bin', size: 40 * MiB })]);
    const archive = Buffer.concat([gzipOfZeros(40, head), gzipSync(Buffer.alloc(1024))]);
    expect((await upload(archive)).status).toBe(202);
    expect(readdirSync(uploads)).toHaveLength(1);
    expect(await jobs()).toHaveLength(1);
  });

  it('counts every entry towards the size and the number of entries', async () => {
    const { upload, uploads, jobs } = await withUploads({ maxUnpackedBytes: 100_000, maxEntries: 50 });
    const many = tarArchive([dockerfile, ...Array.from({ length: 60 }, (_, i) => file(`f${i}`))]);
    await expectRefused(await upload(many), 400, 'holds more than 50 entries, the most this server accepts');
    const big = tarArchive([dockerfile, ...Array.from({ length: 4 }, (_, i) => file(`f${i}`, 'y'.repeat(30_000)))]);
    await expectRefused(await upload(big), 400, 'unpacks to more than 100000 bytes');
    expect(readdirSync(uploads)).toEqual([]);
    expect(await jobs()).toEqual([]);
  });
});

describe('where an entry of an uploaded archive would land', () => {
  it.each<[string, TarEntry[], string | RegExp]>([
    ['a ../ entry', [dockerfile, file('../../../etc/cron.d/evil')], 'holds "../../../etc/cron.d/evil", which leads outside the context ("..")'],
    ['a ../ entry inside a path', [dockerfile, file('a/b/../../../x')], 'leads outside the context ("..")'],
    ['an absolute entry', [dockerfile, file('/etc/passwd')], 'holds "/etc/passwd", an absolute path'],
    ['a symlink to an absolute path', [dockerfile, { name: 'escape', type: 'symlink', linkname: '/etc' }], 'a link to the absolute path "/etc"'],
    ['a symlink up and out', [dockerfile, { name: 'a/escape', type: 'symlink', linkname: '../../etc' }], 'a link to "../../etc", which leads outside the context'],
    [
      'a symlink that leaves through another one',
      [dockerfile, { name: 'd/s', type: 'symlink', linkname: '..' }, { name: 't', type: 'symlink', linkname: 'd/s/../..' }],
      'holds "t", a link to "d/s/../..", which leads outside the context',
    ],
    [
      'a file written through a link that leads out, the link coming after it',
      [dockerfile, file('out/passwd'), { name: 'out', type: 'symlink', linkname: '../..' }],
      'holds "out", a link in place of a directory it has already put entries in',
    ],
    [
      'a file written through a link that leads out, the link coming first',
      [dockerfile, { name: 'out', type: 'symlink', linkname: 'inside/../..' }, file('out/passwd')],
      /leads outside the context/,
    ],
    ['a hard link to a file outside', [dockerfile, { name: 'h', type: 'link', linkname: '../../etc/shadow' }], 'leads outside the context'],
    ['a link loop', [dockerfile, { name: 'a', type: 'symlink', linkname: 'b' }, { name: 'b', type: 'symlink', linkname: 'a' }, file('a/x')], /lies behind a link that leads outside|leads outside/],
    ['a device', [dockerfile, { name: 'mem', type: 'character-device' }], 'holds "mem", a character-device entry'],
    ['a fifo', [dockerfile, { name: 'pipe', type: 'fifo' }], 'holds "pipe", a fifo entry'],
    ['a name with control characters', [dockerfile, file('/\u001b[2J\u202e')], 'holds "/\\u001b[2J\\u202e", an absolute path'],
  ])('refuses %s, keeping nothing', async (_name, entries, message) => {
    const { upload, uploads, jobs } = await withUploads();
    for (const archive of [tarArchive(entries), gzipOfZeros(0, tarArchive(entries))]) {
      await expectRefused(await upload(archive), 400, message);
      expect(readdirSync(uploads)).toEqual([]);
    }
    expect(await jobs()).toEqual([]);
  });

  it('accepts links that stay inside, such as node_modules/.bin, plain or gzip-compressed', async () => {
    const { upload, uploads, jobs } = await withUploads();
    const entries: TarEntry[] = [
      dockerfile,
      { name: 'node_modules/', type: 'directory' },
      file('node_modules/tool/bin/tool.js', '#!/usr/bin/env node\n'),
      { name: 'node_modules/.bin/tool', type: 'symlink', linkname: '../tool/bin/tool.js' },
      { name: 'current', type: 'symlink', linkname: 'node_modules/tool' },
      { name: 'copy-of-tool', type: 'link', linkname: 'node_modules/tool/bin/tool.js' },
      file('current/README', 'written through an inside link\n'),
    ];
    for (const archive of [tarArchive(entries), gzipOfZeros(0, tarArchive(entries))]) expect((await upload(archive)).status).toBe(202);
    expect(readdirSync(uploads)).toHaveLength(2);
    expect(await jobs()).toHaveLength(2);
  });
});

describe('uploads at once, and a full disk', () => {
  it('answers 503 with Retry-After to one upload too many, and takes the first when it is complete', async () => {
    const { upload, uploads, jobs } = await withUploads({ maxConcurrent: 1 });
    const archive = tarArchive([dockerfile]);
    let finish!: () => void;
    const slow = new ReadableStream<Uint8Array>({
      start(controller) {
        controller.enqueue(archive.subarray(0, 512));
        finish = () => {
          controller.enqueue(archive.subarray(512));
          controller.close();
        };
      },
    });
    const first = upload(slow);
    await new Promise((resolve) => setTimeout(resolve, 200));
    const second = await upload(tarArchive([dockerfile]));
    const body = await expectRefused(second, 503, 'already receiving 1 build contexts (UPLOAD_MAX_CONCURRENT); try again in a few seconds');
    expect(body.error.code).toBe('BUSY');
    expect(second.headers.get('retry-after')).toBe('5');
    expect(readdirSync(uploads)).toHaveLength(1);
    finish();
    expect((await first).status).toBe(202);
    expect(await jobs()).toHaveLength(1);
    expect((await upload(tarArchive([dockerfile]))).status).toBe(202);
  });

  it.skipIf(process.getuid?.() !== 0)('answers 507 when the uploads directory is full, and leaves nothing behind', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'full-'));
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=256k,mode=0700', 'tmpfs', dir]);
    try {
      const { upload, jobs } = await withUploads({}, dir);
      const archive = tarArchive([dockerfile, file('big.bin', 'z'.repeat(600_000))]);
      const body = await expectRefused(await upload(archive), 507, /no room left to store this build context.*UPLOADS_DIR/);
      expect(body.error.code).toBe('INSUFFICIENT_STORAGE');
      expect(readdirSync(dir)).toEqual([]);
      expect(await jobs()).toEqual([]);
      // Room again: the next upload goes through.
      expect((await upload(tarArchive([dockerfile]))).status).toBe(202);
    } finally {
      await harness?.close();
      harness = undefined;
      execFileSync('umount', [dir]);
    }
  });
});

describe('the uploads directory', () => {
  const router = (dir: string) => () =>
    createBuilderRouter(createBuilder({ store: createMemoryJobStore(), runners: { build: createScriptedRunner({ kind: 'build', script: [] }) } }), {
      uploads: { dir },
    });

  it('is created private (0700) when it is missing', () => {
    const dir = path.join(mkdtempSync(path.join(tmpdir(), 'parent-')), 'uploads');
    router(dir)();
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it('is refused when its group or others may reach it, saying what to do', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'open-'));
    chmodSync(dir, 0o755);
    expect(router(dir)).toThrow(`The uploads directory ${dir} (UPLOADS_DIR; the router's uploads.dir) is open to its group or others (mode 0755): run "chmod 700 ${dir}"`);
    chmodSync(dir, 0o1777);
    expect(router(dir)).toThrow(/open to its group or others \(mode 0777\)/);
  });

  it.skipIf(process.getuid?.() !== 0)('is refused when another user owns it, or a link to it', () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'theirs-'));
    chownSync(dir, 4242, 4242);
    expect(router(dir)).toThrow(`The uploads directory ${dir} (UPLOADS_DIR; the router's uploads.dir) is owned by uid 4242, not by this server's user (uid 0)`);
    const mine = mkdtempSync(path.join(tmpdir(), 'mine-'));
    const link = path.join(mkdtempSync(path.join(tmpdir(), 'shared-')), 'uploads');
    symlinkSync(mine, link);
    execFileSync('chown', ['-h', '4242:4242', link]);
    expect(router(link)).toThrow(/is a symbolic link owned by uid 4242/);
  });

  it('is refused when it is a file', () => {
    const parent = mkdtempSync(path.join(tmpdir(), 'file-'));
    const dir = path.join(parent, 'uploads');
    mkdirSync(parent, { recursive: true });
    execFileSync('touch', [dir]);
    expect(existsSync(dir)).toBe(true);
    expect(router(dir)).toThrow(/cannot be created: EEXIST|is not a directory/);
  });
});
