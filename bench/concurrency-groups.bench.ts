/**
 * Concurrency groups benchmark (not a test): `pnpm bench:groups`.
 * What groups cost a deploy on the Redis setup: an API-side builder (Redis store, BullMQ queue)
 * in this process, and one worker in a separate process (this file, `worker` mode) whose deploy
 * runner only says when it was called. Measured, with default groups (`deploy:<service>`) and
 * without (`groups: { defaultGroups: false }`), in alternating rounds:
 * 1. Dispatch latency: one deploy at a time to an idle worker, from just before submitDeploy to
 *    the runner being called in the worker (both stamped from this machine's clock:
 *    performance.timeOrigin + performance.now()); also the submit call alone, the store's
 *    startedAt − createdAt (what job.started's queuedMs reports), and Redis commands per deploy.
 * 2. Submit throughput: SUBMITS deploys over SERVICES services, IN_FLIGHT submits at a time,
 *    while the worker runs them; then as many with the worker paused (the submit path alone: its
 *    rate, and the CPU it costs this process and redis-server per submit, which other load on the
 *    machine disturbs less than the rate), and how long the worker takes to run that batch once
 *    it resumes (with the Redis commands per job meanwhile).
 * The baseline, in the same run and rounds: a Redis round trip (PING), a raw hand-off (LPUSH here,
 * BLPOP in the worker process), and raw submits (a MULTI of HSET + LPUSH per job, IN_FLIGHT at a time).
 * Starts its own redis-server. Settings: ROUNDS, DEPLOYS (latency samples per round and mode),
 * SUBMITS, SERVICES, IN_FLIGHT, CONCURRENCY (the worker's).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';
import type { Builder, Runner } from '@docker-builder/core';
import type { Redis } from 'ioredis';

const ROUNDS = Number(process.env.ROUNDS ?? 6);
const DEPLOYS = Number(process.env.DEPLOYS ?? 50);
const SUBMITS = Number(process.env.SUBMITS ?? 2000);
const SERVICES = Number(process.env.SERVICES ?? 10);
const IN_FLIGHT = Number(process.env.IN_FLIGHT ?? 50);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 4);
const FROM_SOURCE = ['--import', 'tsx', '--conditions=@docker-builder/source'];
const THIS_FILE = fileURLToPath(import.meta.url);

/** Milliseconds since the epoch, to the microsecond, comparable between processes on this machine. */
const clock = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

type Message = Record<string, unknown> & { type: string };
const send = (message: Message) => process.send!(message);

// ---------------------------------------------------------------- worker (a process of its own)

async function worker() {
  const { createBuilder } = await import('@docker-builder/core');
  const { createBullMQJobQueue, createRedisJobStore, createRedisWorker } = await import('@docker-builder/store-redis');
  const { Redis: Connection } = await import('ioredis');
  const redis = process.env.REDIS_URL!;
  const prefix = process.env.PREFIX!;
  const deploy: Runner<'deploy'> = {
    name: 'bench',
    kind: 'deploy',
    async run(_spec, context) {
      send({ type: 'running', id: context.jobId, at: clock() });
      return { ok: true };
    },
    health: async () => ({ name: 'bench', ok: true }),
  };
  const builder = createBuilder({
    store: createRedisJobStore({ redis, prefix }),
    queue: createBullMQJobQueue({ redis, prefix: `${prefix}bull` }),
    runners: { deploy },
    onEvent: (event) => {
      if (event.type === 'job.finished') send({ type: 'finished', id: event.jobId });
    },
  });
  const raw = new Connection(redis);
  const taken = createRedisWorker({
    builder,
    redis,
    prefix: `${prefix}bull`,
    concurrency: CONCURRENCY,
    onEvent: (event) => {
      if (event.type === 'worker.ready') send({ type: 'ready' });
    },
  });
  process.on('message', (message: Message) => {
    if (message.type === 'pause') void taken.worker.pause().then(() => send({ type: 'paused' }));
    if (message.type === 'resume') taken.worker.resume();
    if (message.type !== 'quit') return;
    raw.disconnect();
    void taken.close({ deadlineMs: 1_000 }).then(() => process.exit(0));
  });
  // The raw hand-off: one BLPOP at a time, as a worker waiting for work would.
  for (;;) {
    const got = await raw.blpop(`${prefix}raw`, 0).catch(() => null);
    if (!got) return;
    send({ type: 'raw', token: got[1], at: clock() });
  }
}

// ---------------------------------------------------------------- orchestrator

interface Inbox {
  /** Resolves with when the worker reported `type` for `key` (a job id, or a raw token). */
  at(type: 'running' | 'finished' | 'raw' | 'paused', key: string): Promise<number>;
}

function inbox(child: ChildProcess): Inbox {
  const seen = new Map<string, number>();
  const waiters = new Map<string, (at: number) => void>();
  child.on('message', (message: Message) => {
    const key = `${message.type} ${String(message.id ?? message.token)}`;
    const at = Number(message.at ?? clock());
    const waiter = waiters.get(key);
    if (waiter) {
      waiters.delete(key);
      waiter(at);
    } else {
      seen.set(key, at);
    }
  });
  return {
    at(type, key) {
      const name = `${type} ${key}`;
      const known = seen.get(name);
      if (known !== undefined) {
        seen.delete(name);
        return Promise.resolve(known);
      }
      return new Promise((resolve) => waiters.set(name, resolve));
    },
  };
}

const percentile = (samples: number[], p: number) => {
  const sorted = [...samples].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))]!;
};
/** redis-server's CPU seconds so far. */
const redisCpu = async (admin: Redis) => {
  const info = await admin.info('cpu');
  return Number(/used_cpu_sys:([\d.]+)/.exec(info)![1]) + Number(/used_cpu_user:([\d.]+)/.exec(info)![1]);
};
const commandsProcessed = async (admin: Redis) => Number(/total_commands_processed:(\d+)/.exec(await admin.info('stats'))![1]);

interface Latency {
  /** submit → the runner called in the worker, ms. */
  dispatch: number[];
  /** The submitDeploy call alone, ms. */
  submit: number[];
  /** The store's startedAt − createdAt, ms. */
  queued: number[];
  commandsPerDeploy: number;
}

async function measureLatency(api: Builder, worker: Inbox, admin: Redis, round: number): Promise<Latency> {
  const result: Latency = { dispatch: [], submit: [], queued: [], commandsPerDeploy: 0 };
  const commands0 = await commandsProcessed(admin);
  for (let i = 0; i < DEPLOYS; i += 1) {
    const started = clock();
    const { id } = await api.submitDeploy({ mappings: { 'rag-service': `registry.example/rag-service:r${round}-${i}` } });
    result.submit.push(clock() - started);
    result.dispatch.push((await worker.at('running', id)) - started);
    await worker.at('finished', id);
    const job = await api.get(id);
    result.queued.push(Date.parse(job.startedAt!) - Date.parse(job.createdAt));
    // Idle again: what follows a job's end (its slot freed, the next in line woken) is over.
    await sleep(20);
  }
  result.commandsPerDeploy = ((await commandsProcessed(admin)) - commands0 - 1) / DEPLOYS;
  return result;
}

/** Runs `count` calls, `inFlight` at a time; resolves with the seconds it took. */
async function pool(count: number, inFlight: number, call: (i: number) => Promise<unknown>): Promise<number> {
  const started = clock();
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < count) await call(next++);
    }),
  );
  return (clock() - started) / 1000;
}

interface Throughput {
  /** Submits per second while the worker runs what was submitted. */
  busy: number;
  /** Submits per second with the worker paused: the submit path alone. */
  alone: number;
  /** CPU per submit with the worker paused, µs: this (the API) process's, and redis-server's. */
  apiCpu: number;
  redisCpu: number;
  /** From the worker's resume to the last of the paused batch done, s. */
  drainSeconds: number;
  /** Redis commands per job of the paused batch while the worker ran it. */
  drainCommands: number;
}

async function measureThroughput(api: Builder, child: ChildProcess, worker: Inbox, admin: Redis, round: number): Promise<Throughput> {
  const submitAll = async (label: string) => {
    const ids: string[] = [];
    const seconds = await pool(SUBMITS, IN_FLIGHT, async (i) => {
      const service = `service-${i % SERVICES}`;
      ids.push((await api.submitDeploy({ mappings: { [service]: `registry.example/${service}:${label}${round}-${i}` } })).id);
    });
    return { ids, perSecond: SUBMITS / seconds };
  };
  const busy = await submitAll('busy');
  await Promise.all(busy.ids.map((id) => worker.at('finished', id)));
  child.send({ type: 'pause' });
  await worker.at('paused', 'undefined');
  const cpu0 = process.cpuUsage();
  const redis0 = await redisCpu(admin);
  const alone = await submitAll('alone');
  const { user, system } = process.cpuUsage(cpu0);
  const redis1 = await redisCpu(admin);
  const commands0 = await commandsProcessed(admin);
  const resumed = clock();
  child.send({ type: 'resume' });
  await Promise.all(alone.ids.map((id) => worker.at('finished', id)));
  const drainSeconds = (clock() - resumed) / 1000;
  return {
    busy: busy.perSecond,
    alone: alone.perSecond,
    apiCpu: (user + system) / SUBMITS,
    redisCpu: ((redis1 - redis0) * 1e6) / SUBMITS,
    drainSeconds, drainCommands: ((await commandsProcessed(admin)) - commands0 - 1) / SUBMITS };
}

async function measureBaseline(admin: Redis, worker: Inbox, prefix: string) {
  const ping: number[] = [];
  for (let i = 0; i < 200; i += 1) {
    const started = clock();
    await admin.ping();
    ping.push(clock() - started);
  }
  const handOff: number[] = [];
  for (let i = 0; i < DEPLOYS; i += 1) {
    const token = `${Date.now()}-${i}`;
    const started = clock();
    await admin.lpush(`${prefix}raw`, token);
    handOff.push((await worker.at('raw', token)) - started);
    await sleep(20);
  }
  const seconds = await pool(SUBMITS, IN_FLIGHT, (i) =>
    admin
      .multi()
      .hset(`${prefix}rawjob:${i}`, 'kind', 'deploy', 'state', 'queued', 'spec', JSON.stringify({ mappings: { [`service-${i % SERVICES}`]: 'registry.example/x:1' } }))
      .lpush(`${prefix}rawqueue`, String(i))
      .exec(),
  );
  await admin.del(`${prefix}rawqueue`);
  return { ping, handOff, submitsPerSecond: SUBMITS / seconds };
}

async function orchestrate() {
  const { Redis: Connection } = await import('ioredis');
  const { createBuilder } = await import('@docker-builder/core');
  const { createBullMQJobQueue, createRedisJobStore } = await import('@docker-builder/store-redis');
  const { startRedisServer } = await import('../test-support/redis-server.js');
  const server = await startRedisServer();
  const admin = new Connection(server.url);
  const prefix = 'bench-groups:';
  const child = spawn(process.execPath, [...FROM_SOURCE, THIS_FILE, 'worker'], {
    env: { ...process.env, REDIS_URL: server.url, PREFIX: prefix },
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const worker = inbox(child);
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message: Message) => message.type === 'ready' && resolve());
    child.once('exit', (code) => reject(new Error(`the worker exited (${code}) before it was ready`)));
  });
  // The API side: the same store and queue, with default groups or none. Never runs a job itself.
  const refuse: Runner<'deploy'> = {
    name: 'api',
    kind: 'deploy',
    run: async () => Promise.reject(new Error('ran in the API process')),
    health: async () => ({ name: 'api', ok: true }),
  };
  const api = (groups: boolean) =>
    createBuilder({
      store: createRedisJobStore({ redis: server.url, prefix }),
      queue: createBullMQJobQueue({ redis: server.url, prefix: `${prefix}bull` }),
      runners: { deploy: refuse },
      reapIntervalMs: false,
      ...(groups ? {} : { groups: { defaultGroups: false } }),
    });
  const builders = { without: api(false), with: api(true) };

  interface Row {
    round: number;
    mode: 'without' | 'with';
    latency: Latency;
    throughput: Throughput;
  }
  const rows: Row[] = [];
  const baselines: Array<Awaited<ReturnType<typeof measureBaseline>> & { round: number }> = [];
  try {
    // Warm-up, not counted: connections, scripts loaded, the JIT.
    for (const builder of Object.values(builders)) {
      await measureLatency(builder, worker, admin, 0);
      const ids: string[] = [];
      await pool(500, IN_FLIGHT, async (i) => ids.push((await builder.submitDeploy({ mappings: { [`service-${i % SERVICES}`]: `registry.example/warm:${i}` } })).id));
      await Promise.all(ids.map((id) => worker.at('finished', id)));
    }
    for (let round = 1; round <= ROUNDS; round += 1) {
      // Alternating which goes first, so neither always follows the other's backlog.
      const modes = round % 2 === 1 ? (['without', 'with'] as const) : (['with', 'without'] as const);
      baselines.push({ round, ...(await measureBaseline(admin, worker, prefix)) });
      for (const mode of modes) {
        const latency = await measureLatency(builders[mode], worker, admin, round);
        const throughput = await measureThroughput(builders[mode], child, worker, admin, round);
        rows.push({ round, mode, latency, throughput });
        process.stderr.write(`  round ${round}, ${mode} groups: dispatch p50 ${percentile(latency.dispatch, 0.5).toFixed(1)} ms, ${throughput.busy.toFixed(0)} submits/s\n`);
      }
    }
  } finally {
    child.send({ type: 'quit' });
    await Promise.all(Object.values(builders).map((builder) => builder.close({ deadlineMs: 100 })));
  }

  const version = /redis_version:(\S+)/.exec(await admin.info('server'))?.[1];
  admin.disconnect();
  await server.stop();
  const ms = (n: number) => n.toFixed(1);
  const three = (samples: number[]) => `${ms(percentile(samples, 0.5))} / ${ms(percentile(samples, 0.9))} / ${ms(Math.max(...samples))}`;
  const row = (label: string, latency: Latency, throughput: Throughput) =>
    `| ${label} | ${three(latency.dispatch)} | ${three(latency.submit)} | ${ms(percentile(latency.queued, 0.5))} / ${ms(Math.max(...latency.queued))} | ${latency.commandsPerDeploy.toFixed(1)} | ${throughput.busy.toFixed(0)} | ${throughput.alone.toFixed(0)} | ${throughput.apiCpu.toFixed(0)} / ${throughput.redisCpu.toFixed(0)} | ${throughput.drainSeconds.toFixed(2)} s, ${throughput.drainCommands.toFixed(0)} |`;
  const all = (mode: 'without' | 'with') => {
    const mine = rows.filter((r) => r.mode === mode);
    const mean = (pick: (r: Row) => number) => mine.reduce((sum, r) => sum + pick(r), 0) / mine.length;
    const latency: Latency = {
      dispatch: mine.flatMap((r) => r.latency.dispatch),
      submit: mine.flatMap((r) => r.latency.submit),
      queued: mine.flatMap((r) => r.latency.queued),
      commandsPerDeploy: mean((r) => r.latency.commandsPerDeploy),
    };
    const throughput: Throughput = {
      busy: mean((r) => r.throughput.busy),
      alone: mean((r) => r.throughput.alone),
      apiCpu: mean((r) => r.throughput.apiCpu),
      redisCpu: mean((r) => r.throughput.redisCpu),
      drainSeconds: mean((r) => r.throughput.drainSeconds),
      drainCommands: mean((r) => r.throughput.drainCommands),
    };
    return row(`**${mode} groups, all rounds** (${latency.dispatch.length} deploys; throughput: means)`, latency, throughput);
  };
  process.stdout.write(`Concurrency groups benchmark — ${new Date().toISOString().slice(0, 10)}, ${os.cpus().length} × ${os.cpus()[0]?.model.trim()}, ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, Redis ${version}

API-side builder in this process (Redis store, BullMQ queue); one worker process (concurrency ${CONCURRENCY}) whose runner only reports that it was called.
Dispatch: ${DEPLOYS} deploys of one service per round and mode, one at a time to an idle worker. Throughput: ${SUBMITS} deploys over ${SERVICES} services, ${IN_FLIGHT} submits in flight, while the worker runs them; then ${SUBMITS} more with the worker paused, and the time it takes to run them once it resumes.

| round, groups | submit → running, ms: p50 / p90 / max | submit call, ms: p50 / p90 / max | store's startedAt − createdAt, ms: p50 / max | Redis commands per deploy | submits/s, worker running | submits/s, worker paused | CPU µs per submit, worker paused: API process / redis-server | paused batch: done after resume, Redis commands per job |
|---|---|---|---|---|---|---|---|---|
${rows.map((r) => row(`${r.round}, ${r.mode}`, r.latency, r.throughput)).join('\n')}
${all('without')}
${all('with')}

Baseline, same rounds: a Redis round trip from this process; a raw hand-off (LPUSH here, BLPOP in the worker process); raw submits (MULTI of HSET + LPUSH per job, ${IN_FLIGHT} in flight):

| round | PING, ms: p50 / max | raw hand-off, ms: p50 / p90 / max | raw submits/s |
|---|---|---|---|
${baselines.map((b) => `| ${b.round} | ${ms(percentile(b.ping, 0.5))} / ${ms(Math.max(...b.ping))} | ${three(b.handOff)} | ${b.submitsPerSecond.toFixed(0)} |`).join('\n')}
`);
}

if (process.argv[2] === 'worker') await worker();
else {
  await orchestrate();
  process.exit(0);
}
