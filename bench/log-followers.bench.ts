/**
 * Log followers benchmark (not a test): `pnpm bench:log-followers`.
 * One real server (`docker-builder serve` from sources, REDIS_URL set), 50 running jobs whose
 * logs a writer process appends to through the store, and 5,000 Server-Sent Events followers
 * (100 per job) in a client process that checks every line of every follower: its index, its
 * text, its order, and that the stream ends after the job's last line. Measured: the server's
 * CPU seconds per second and peak RSS, and lines delivered per second.
 * The baseline, in the same run, is the same load on the code before followers shared a reader:
 * the tree of BASELINE_REF (default ae2c182), exported with `git archive` to a temporary
 * directory that borrows this checkout's node_modules. A raw-Redis floor is measured too: the
 * same reads (LRANGE + HGET in a MULTI per change) from a bare ioredis client, once per job and
 * once per follower, with no HTTP.
 * Starts its own redis-server. Settings: JOBS, FOLLOWERS_PER_JOB, LINES_PER_TICK, TICK_MS, LIVE_SECONDS, ROUNDS,
 * BASELINE_REF or BASELINE_TREE (a prepared tree), SERVER_NODE_ARGS (e.g. `--cpu-prof`), SERVER_OUTPUT (a file
 * name prefix that keeps what each server wrote).
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, createWriteStream, existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Redis } from 'ioredis';

const JOBS = Number(process.env.JOBS ?? 50);
const PER_JOB = Number(process.env.FOLLOWERS_PER_JOB ?? 100);
const BACKLOG = 200;
const TICK_MS = Number(process.env.TICK_MS ?? 100);
const LINES_PER_TICK = Number(process.env.LINES_PER_TICK ?? 2);
const LIVE_SECONDS = Number(process.env.LIVE_SECONDS ?? 20);
const ROUNDS = Number(process.env.ROUNDS ?? 2);
const FROM_SOURCE = ['--import', 'tsx', '--conditions=@docker-builder/source'];
const THIS_FILE = fileURLToPath(import.meta.url);
const REPO = path.resolve(path.dirname(THIS_FILE), '..');

/** The text of line `i` of job `j`: about as long as a build's, and checkable by the clients. */
const line = (j: number, i: number) => `#${i} [job ${j}] RUN npm ci --omit=dev  added 412 packages, audited 413 packages in 9s (line ${i})`;
/** A live line also says when it was written (this machine's clock), so the clients can tell how late it came. */
const stamped = (j: number, i: number, at: number) => `${line(j, i)} at ${at}`;

type Message = Record<string, unknown> & { type: string };
const send = (message: Message) => process.send!(message);
const nextMessage = (child: ChildProcess | NodeJS.Process, type: string) =>
  new Promise<Message>((resolve, reject) => {
    const onMessage = (message: Message) => {
      if (message.type !== type) return;
      child.off('message', onMessage);
      resolve(message);
    };
    child.on('message', onMessage);
    if (child !== process) child.once('exit', (code) => reject(new Error(`child exited (${code}) before "${type}"`)));
  });

// ---------------------------------------------------------------- writer (run from the measured tree)

async function writer() {
  const { createRedisJobStore } = await import('@docker-builder/store-redis');
  const { newJob } = await import('@docker-builder/core/testing');
  const store = createRedisJobStore({ redis: process.env.REDIS_URL!, prefix: process.env.PREFIX! });
  const ids: string[] = [];
  for (let j = 0; j < JOBS; j += 1) {
    const job = await store.create(newJob('build'));
    await store.transition(job.id, { from: ['queued'], to: 'running', at: new Date().toISOString() });
    await store.appendLogs(job.id, Array.from({ length: BACKLOG }, (_, i) => line(j, i)), { attempt: 1 });
    ids.push(job.id);
  }
  send({ type: 'jobs', ids });
  await nextMessage(process, 'go');
  const started = Date.now();
  const ticks = Math.round((LIVE_SECONDS * 1000) / TICK_MS);
  const lengths = ids.map(() => BACKLOG);
  for (let tick = 0; tick < ticks; tick += 1) {
    await Promise.all(
      ids.map(async (id, j) => {
        const now = Date.now();
        const batch = Array.from({ length: LINES_PER_TICK }, (_, k) => stamped(j, lengths[j]! + k, now));
        lengths[j] = (await store.appendLogs(id, batch, { attempt: 1 }))!;
      }),
    );
    const wait = started + (tick + 1) * TICK_MS - Date.now();
    if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
  }
  await Promise.all(ids.map((id) => store.transition(id, { from: ['running'], to: 'done', at: new Date().toISOString(), attempt: 1 })));
  send({ type: 'ended', lengths, appendSeconds: (Date.now() - started) / 1000 });
  await store.close();
}

// ---------------------------------------------------------------- clients

interface FollowerResult {
  job: number;
  lines: number;
  ended: boolean;
  problem?: string;
}

interface FollowHooks {
  onBacklog(): void;
  onLine(): void;
  onDelay(ms: number): void;
  onProblem(result: FollowerResult): void;
}

/** One SSE follower that checks every event; a connection refused before any answer (a full listen backlog) is tried again. */
function follow(port: number, id: string, job: number, hooks: FollowHooks): Promise<FollowerResult> {
  return new Promise((resolve) => {
    const result: FollowerResult = { job, lines: 0, ended: false };
    let buffer = '';
    let answered = false;
    let attempts = 0;
    let current: http.IncomingMessage | undefined;
    const finish = (problem?: string) => {
      if (problem && !result.problem) {
        result.problem = problem;
        current?.destroy();
        hooks.onProblem(result);
      }
      resolve(result);
    };
    const onData = (chunk: string) => {
      buffer += chunk;
      let start = 0;
      for (let end = buffer.indexOf('\n\n', start); end >= 0; end = buffer.indexOf('\n\n', start)) {
        const block = buffer.slice(start, end);
        start = end + 2;
        if (block.startsWith(':') || block.startsWith('retry:')) continue;
        // The job's state and progress, woven into the log stream since issue 13: not lines.
        if (block.startsWith('event: state') || block.startsWith('event: progress')) continue;
        if (block.startsWith('event: end')) {
          result.ended = true;
          continue;
        }
        if (block.startsWith('event:')) return finish(`unexpected ${JSON.stringify(block.slice(0, 300))}`);
        // id: <index>\ndata: <line>
        const newline = block.indexOf('\n');
        const index = Number(block.slice(4, newline));
        const data = block.slice(newline + 7);
        const expected = line(job, result.lines);
        const live = result.lines >= BACKLOG;
        if (index !== result.lines || !(live ? data.startsWith(`${expected} at `) : data === expected)) {
          return finish(`expected line ${result.lines} of job ${job}, got ${JSON.stringify(block.slice(0, 200))}`);
        }
        if (live) hooks.onDelay(Date.now() - Number(data.slice(expected.length + 4)));
        result.lines += 1;
        hooks.onLine();
        if (result.lines === BACKLOG) hooks.onBacklog();
      }
      buffer = buffer.slice(start);
    };
    const connect = () => {
      attempts += 1;
      const request = http.get({ host: '127.0.0.1', port, path: `/api/build/${id}/logs`, agent: false }, (response) => {
        answered = true;
        current = response;
        if (response.statusCode !== 200) {
          response.resume();
          return finish(`status ${response.statusCode}`);
        }
        response.setEncoding('utf8');
        response.on('data', onData);
        response.on('end', () => finish(result.ended ? undefined : 'the stream ended without an end event'));
        response.on('error', (error) => finish(error.message));
      });
      request.on('error', (error) => {
        if (!answered && attempts < 20) setTimeout(connect, 100 * attempts);
        else finish(`${error.message} (attempt ${attempts})`);
      });
    };
    connect();
  });
}

async function clients() {
  const { port, ids } = (await nextMessage(process, 'start')) as unknown as { port: number; ids: string[] };
  let caughtUp = 0;
  let delivered = 0;
  let problems = 0;
  const total = ids.length * PER_JOB;
  // How late live lines arrive, by the millisecond: the median and the tail say whether the server keeps up.
  const delays = new Uint32Array(120_001);
  const percentile = (p: number) => {
    const all = delays.reduce((sum, n) => sum + n, 0);
    let seen = 0;
    for (let ms = 0; ms < delays.length; ms += 1) {
      seen += delays[ms]!;
      if (seen >= all * p) return ms;
    }
    return delays.length - 1;
  };
  // A follower that failed counts as done with its start: the run goes on, and is refused at the end.
  const startDone = () => {
    if (caughtUp + problems === total) send({ type: 'caught-up' });
  };
  const hooks: FollowHooks = {
    onBacklog: () => {
      caughtUp += 1;
      startDone();
    },
    onLine: () => (delivered += 1),
    onDelay: (ms) => (delays[Math.min(Math.max(ms, 0), 120_000)]! += 1),
    onProblem: (result) => {
      problems += 1;
      if (problems <= 3) process.stderr.write(`  follower of job ${result.job}: ${result.problem}\n`);
      if (result.lines < BACKLOG) startDone();
    },
  };
  const progress = setInterval(() => process.stderr.write(`  clients: ${caughtUp}/${total} have the first ${BACKLOG} lines, ${delivered.toLocaleString('en')} lines in all, ${problems} failed\n`), 10_000);
  const followers: Array<Promise<FollowerResult>> = [];
  // Connections are opened a few hundred at a time, so the server's listen backlog rarely overflows.
  for (let k = 0; k < PER_JOB; k += 1) {
    followers.push(...ids.map((id, j) => follow(port, id, j, hooks)));
    if (k % 4 === 3) await new Promise((resolve) => setTimeout(resolve, 20));
  }
  process.on('message', (message: Message) => {
    if (message.type === 'mark') send({ type: 'mark', delivered, at: Date.now() });
  });
  const results = await Promise.all(followers);
  clearInterval(progress);
  send({ type: 'done', results, delivered, delay: { p50: percentile(0.5), p99: percentile(0.99), max: percentile(1) } });
}

// ---------------------------------------------------------------- raw Redis readers, no HTTP

async function rawReaders() {
  const { Redis: Connection } = await import('ioredis');
  const { ids, readersPerJob } = (await nextMessage(process, 'start')) as unknown as { ids: string[]; readersPerJob: number };
  const prefix = process.env.PREFIX!;
  const redis = new Connection(process.env.REDIS_URL!);
  const subscriber = new Connection(process.env.REDIS_URL!);
  const wakers = new Map<string, Array<() => void>>();
  subscriber.on('message', (channel: string) => {
    for (const wake of wakers.get(channel) ?? []) wake();
  });
  let lines = 0;
  const reader = async (id: string) => {
    const channel = `${prefix}job:${id}:events`;
    let pending = false;
    let wake: (() => void) | undefined;
    wakers.set(channel, [...(wakers.get(channel) ?? []), () => ((pending = true), wake?.())]);
    for (let next = 0; ; ) {
      const [[, got], [, state]] = (await redis.multi().lrange(`${prefix}job:${id}:logs`, next, next + 999).hget(`${prefix}job:${id}`, 'state').exec())! as [
        [unknown, string[]],
        [unknown, string],
      ];
      next += got.length;
      lines += got.length;
      if (got.length === 1000) continue;
      if (state === 'done') return;
      if (!pending) await new Promise<void>((resolve) => ((wake = resolve), setTimeout(resolve, 1_000)));
      pending = false;
      wake = undefined;
    }
  };
  await subscriber.subscribe(...ids.map((id) => `${prefix}job:${id}:events`));
  send({ type: 'ready' });
  await Promise.all(ids.flatMap((id) => Array.from({ length: readersPerJob }, () => reader(id))));
  send({ type: 'done', lines });
  redis.disconnect();
  subscriber.disconnect();
  // Measured after it is done, so it lives until told.
  await nextMessage(process, 'quit');
}

// ---------------------------------------------------------------- orchestrator

const CLOCK_TICKS = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
const cpuSeconds = (pid: number) => {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
};
const memoryMiB = (pid: number, field: 'VmHWM' | 'VmRSS') =>
  Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

function spawnChild(tree: string, mode: string, env: Record<string, string>): ChildProcess {
  const script = path.join(tree, 'bench', path.basename(THIS_FILE));
  const child = spawn(process.execPath, [...FROM_SOURCE, script, mode], { cwd: tree, env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return child;
}

async function startServer(tree: string, env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  // SERVER_NODE_ARGS reach the server alone: `--cpu-prof --cpu-prof-dir=…` profiles it.
  const nodeArgs = (process.env.SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...nodeArgs, ...FROM_SOURCE, 'src/cli.ts', 'serve'], {
    cwd: path.join(tree, 'packages', 'server'),
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', ALLOW_ANONYMOUS: 'true', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  let port: number | undefined;
  // SERVER_OUTPUT keeps all the server wrote (its request log, or what SERVER_NODE_ARGS asked V8 to trace).
  const keep = process.env.SERVER_OUTPUT ? createWriteStream(`${process.env.SERVER_OUTPUT}.${Date.now()}`) : undefined;
  child.stderr!.on('data', (chunk: Buffer) => {
    keep?.write(chunk);
    if (port === undefined) output += chunk.toString();
  });
  child.stdout!.on('data', (chunk: Buffer) => {
    keep?.write(chunk);
    if (port !== undefined) return;
    output += chunk.toString();
    const found = /"port":(\d+)/.exec(output);
    if (found) port = Number(found[1]);
  });
  const deadline = Date.now() + 30_000;
  while (port === undefined) {
    if (child.exitCode !== null || Date.now() > deadline) throw new Error(`server did not start:\n${output}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return { child, port };
}

/** SIGTERM, so a profile asked for with SERVER_NODE_ARGS is written; SIGKILL if it lingers. */
async function stopGracefully(child: ChildProcess) {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

const redisCpu = async (redis: Redis) => {
  const info = await redis.info('cpu');
  return Number(/used_cpu_sys:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_user:([\d.]+)/.exec(info)![1]);
};

interface Delay {
  p50: number;
  p99: number;
  max: number;
}

interface Measured {
  delay: Delay;
  cpuMicrosPerLine: number;
  label: string;
  cpuPerSecond: number;
  liveSeconds: number;
  peakMiB: number;
  idleMiB: number;
  linesPerSecond: number;
  delivered: number;
  clientCpuPerSecond: number;
  redisCpuPerSecond: number;
  drainSeconds: number;
}

async function measureServer(label: string, tree: string, redisUrl: string, admin: Redis): Promise<Measured> {
  const prefix = `bench-${Math.random().toString(36).slice(2, 8)}:`;
  const env = { REDIS_URL: redisUrl, PREFIX: prefix, REDIS_PREFIX: prefix };
  const note = (what: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${label}: ${what}\n`);
  const server = await startServer(tree, env);
  const writerChild = spawnChild(tree, 'writer', env);
  const clientChild = spawnChild(REPO, 'clients', env);
  try {
    return await measureWith(label, note, server, writerChild, clientChild, admin);
  } finally {
    for (const child of [writerChild, clientChild]) if (child.exitCode === null) child.kill('SIGKILL');
    await stopGracefully(server.child);
  }
}

async function measureWith(
  label: string,
  note: (what: string) => void,
  server: { child: ChildProcess; port: number },
  writerChild: ChildProcess,
  clientChild: ChildProcess,
  admin: Redis,
): Promise<Measured> {
  const { ids } = (await nextMessage(writerChild, 'jobs')) as unknown as { ids: string[] };
  const idleMiB = memoryMiB(server.child.pid!, 'VmRSS');
  note(`server up (pid ${server.child.pid}), ${ids.length} jobs running; connecting ${(ids.length * PER_JOB).toLocaleString('en')} followers`);
  clientChild.send({ type: 'start', port: server.port, ids });
  await nextMessage(clientChild, 'caught-up');
  note('every follower has the first lines; writing');

  const cpu0 = cpuSeconds(server.child.pid!);
  const clientCpu0 = cpuSeconds(clientChild.pid!);
  const redis0 = await redisCpu(admin);
  const t0 = Date.now();
  clientChild.send({ type: 'mark' });
  const { delivered: delivered0 } = (await nextMessage(clientChild, 'mark')) as unknown as { delivered: number };
  writerChild.send({ type: 'go' });
  const ended = (await nextMessage(writerChild, 'ended')) as unknown as { lengths: number[]; appendSeconds: number };
  const writerDone = Date.now();
  note('the jobs have ended; waiting for every follower to get the end');
  const done = (await nextMessage(clientChild, 'done')) as unknown as { results: FollowerResult[]; delivered: number; delay: Delay };
  const t1 = Date.now();
  const cpu1 = cpuSeconds(server.child.pid!);
  const clientCpu1 = cpuSeconds(clientChild.pid!);
  const redis1 = await redisCpu(admin);
  const peakMiB = memoryMiB(server.child.pid!, 'VmHWM');

  // Every follower got every line of its job, in order (the clients checked index and text), and the end.
  const problems = done.results.filter((r) => r.problem || !r.ended || r.lines !== ended.lengths[r.job]);
  if (problems.length > 0) {
    throw new Error(`${label}: ${problems.length} of ${done.results.length} followers did not get their whole log, e.g. ${JSON.stringify(problems.slice(0, 3))}`);
  }
  const liveSeconds = (t1 - t0) / 1000;
  return {
    label,
    cpuPerSecond: (cpu1 - cpu0) / liveSeconds,
    cpuMicrosPerLine: ((cpu1 - cpu0) * 1e6) / (done.delivered - delivered0),
    delay: done.delay,
    liveSeconds,
    peakMiB,
    idleMiB,
    delivered: done.delivered - delivered0,
    linesPerSecond: (done.delivered - delivered0) / liveSeconds,
    clientCpuPerSecond: (clientCpu1 - clientCpu0) / liveSeconds,
    redisCpuPerSecond: (redis1 - redis0) / liveSeconds,
    drainSeconds: (t1 - writerDone) / 1000,
  };
}

async function measureRaw(readersPerJob: number, redisUrl: string, admin: Redis) {
  const prefix = `raw-${Math.random().toString(36).slice(2, 8)}:`;
  const env = { REDIS_URL: redisUrl, PREFIX: prefix };
  const writerChild = spawnChild(REPO, 'writer', env);
  const { ids } = (await nextMessage(writerChild, 'jobs')) as unknown as { ids: string[] };
  const rawChild = spawnChild(REPO, 'raw', env);
  rawChild.send({ type: 'start', ids, readersPerJob });
  await nextMessage(rawChild, 'ready');
  const cpu0 = cpuSeconds(rawChild.pid!);
  const redis0 = await redisCpu(admin);
  const t0 = Date.now();
  writerChild.send({ type: 'go' });
  const { lines } = (await nextMessage(rawChild, 'done')) as unknown as { lines: number };
  const seconds = (Date.now() - t0) / 1000;
  const result = {
    cpuPerSecond: (cpuSeconds(rawChild.pid!) - cpu0) / seconds,
    redisCpuPerSecond: ((await redisCpu(admin)) - redis0) / seconds,
    peakMiB: memoryMiB(rawChild.pid!, 'VmHWM'),
    lines,
  };
  rawChild.send({ type: 'quit' });
  for (const child of [writerChild, rawChild]) if (child.exitCode === null) child.kill('SIGKILL');
  return result;
}

/** The tree at `ref`, exported with git archive, using this checkout's installed packages (its own workspace packages stay its own). */
function exportBaseline(ref: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'dbr-baseline-'));
  execFileSync('sh', ['-c', `git -C "${REPO}" archive "${ref}" | tar -x -C "${dir}"`]);
  const link = (from: string, to: string) => {
    mkdirSync(to, { recursive: true });
    for (const entry of readdirSync(from)) {
      // Workspace links are relative (../../packages/core): copied as they are, they point into the baseline.
      if (entry === '@docker-builder') cpSync(path.join(from, entry), path.join(to, entry), { recursive: true, verbatimSymlinks: true });
      else if (!existsSync(path.join(to, entry))) symlinkSync(path.join(from, entry), path.join(to, entry));
    }
  };
  link(path.join(REPO, 'node_modules'), path.join(dir, 'node_modules'));
  for (const group of ['packages', 'examples']) {
    for (const name of readdirSync(path.join(REPO, group))) {
      const modules = path.join(REPO, group, name, 'node_modules');
      if (existsSync(modules) && lstatSync(modules).isDirectory() && existsSync(path.join(dir, group, name))) {
        cpSync(modules, path.join(dir, group, name, 'node_modules'), { recursive: true, verbatimSymlinks: true });
      }
    }
  }
  return dir;
}

async function orchestrate() {
  const { Redis: Connection } = await import('ioredis');
  const { startRedisServer } = await import('../test-support/redis-server.js');
  const baselineRef = process.env.BASELINE_REF ?? 'ae2c182';
  const baseline = process.env.BASELINE_TREE ?? exportBaseline(baselineRef);
  // The baseline's writer runs from its own tree, so it writes with the baseline's store.
  const copy = path.join(baseline, 'bench', path.basename(THIS_FILE));
  if (path.resolve(copy) !== THIS_FILE) cpSync(THIS_FILE, copy);
  const server = await startRedisServer();
  const admin = new Connection(server.url);
  try {
    // Alternating rounds: how fast followers are served changes how much each write carries, so one run says little.
    const rows: Measured[] = [];
    for (let round = 1; round <= ROUNDS; round += 1) {
      rows.push(await measureServer(`before (${process.env.BASELINE_TREE ? baseline : baselineRef}), round ${round}: a Redis reader per follower`, baseline, server.url, admin));
      rows.push(await measureServer(`after, round ${round}: one Redis reader per job per server`, REPO, server.url, admin));
    }
    const rawShared = await measureRaw(1, server.url, admin);
    const rawEach = await measureRaw(PER_JOB, server.url, admin);
    const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1];
    const fmt = (n: number, digits = 2) => n.toLocaleString('en', { minimumFractionDigits: digits, maximumFractionDigits: digits });
    const row = (m: Measured) =>
      `| ${m.label} | ${fmt(m.cpuPerSecond)} | ${fmt(m.cpuMicrosPerLine, 1)} | ${fmt(m.peakMiB, 0)} (${fmt(m.idleMiB, 0)} before the followers) | ${fmt(m.linesPerSecond, 0)} | ${m.delay.p50} / ${m.delay.p99} / ${m.delay.max} | ${fmt(m.liveSeconds, 1)} s (${fmt(m.drainSeconds, 1)} s after the last write) | ${fmt(m.clientCpuPerSecond)} | ${fmt(m.redisCpuPerSecond)} |`;
    process.stdout.write(`Log followers benchmark — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Redis ${version}

${JOBS} running jobs, ${PER_JOB} SSE followers each (${(JOBS * PER_JOB).toLocaleString('en')} in all), each job's log ${BACKLOG} lines when they connect, then ${LINES_PER_TICK} lines every ${TICK_MS} ms for ${LIVE_SECONDS} s (${fmt((JOBS * LINES_PER_TICK * 1000) / TICK_MS, 0)} lines/s written); every follower checked to get every line once, in order, and the end.
Measured from when every follower had the first ${BACKLOG} lines to when every follower had the end:

| server | server CPU s/s | server CPU µs per line delivered | server peak RSS, MiB | lines delivered/s | delay of a line, ms: median / p99 / max | live phase | client CPU s/s | redis-server CPU s/s |
|---|---|---|---|---|---|---|---|---|
${rows.map(row).join('\n')}

Raw Redis, the same writes and reads with no server and no HTTP (LRANGE + HGET in a MULTI per change, from a bare ioredis client):

| readers | reader CPU s/s | reader peak RSS, MiB | redis-server CPU s/s |
|---|---|---|---|
| one per job (${JOBS}) | ${fmt(rawShared.cpuPerSecond)} | ${fmt(rawShared.peakMiB, 0)} | ${fmt(rawShared.redisCpuPerSecond)} |
| one per follower (${(JOBS * PER_JOB).toLocaleString('en')}) | ${fmt(rawEach.cpuPerSecond)} | ${fmt(rawEach.peakMiB, 0)} | ${fmt(rawEach.redisCpuPerSecond)} |
`);
  } finally {
    admin.disconnect();
    await server.stop();
    if (!process.env.BASELINE_TREE) rmSync(baseline, { recursive: true, force: true });
  }
}

const mode = process.argv[2];
if (mode === 'writer') await writer();
else if (mode === 'clients') await clients();
else if (mode === 'raw') await rawReaders();
else await orchestrate();
if (mode) process.exit(0);
