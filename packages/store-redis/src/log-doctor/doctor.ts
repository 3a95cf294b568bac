/**
 * The log doctor: finds job logs that are not clean text (binary, gzip, zlib), and with
 * `fix` backs up each raw value before rewriting it as text lines. It also reads the seed's
 * layout (`job:<id>` hash with a JSON-array `logs` field) and with `migrateSeed` copies those
 * jobs into ours, so users of the Python service keep their history. Dry run by default.
 */
import type { ChainableCommander, Redis } from 'ioredis';
import { initialJob, jobSearchTerms, type Job } from '@docker-builder/core';
import { storeKeys } from '../keys.js';
import { toHashFields } from '../job-hash.js';
import { execChecked } from '../checked-replies.js';
import { classify, seedLogLines, toText, splitLines, type PayloadKind } from './classify.js';
import { logRunMember, parseLogRun } from '../log-times.js';

export interface DoctorOptions {
  redis: Redis;
  /** Our keys' prefix; default "docker-builder:". */
  prefix?: string;
  /** Where the seed service's keys are; default "" (its keys had no prefix). */
  seedPrefix?: string;
  fix?: boolean;
  migrateSeed?: boolean;
  now?: () => Date;
}

export interface DoctorFinding {
  jobId: string;
  layout: 'ours' | 'seed';
  /** How many values of each kind the log holds. */
  kinds: Partial<Record<PayloadKind, number>>;
  action: 'none' | 'would fix' | 'fixed' | 'would migrate' | 'migrated' | 'already migrated';
  backupKey?: string;
}

export interface DoctorReport {
  scanned: number;
  findings: DoctorFinding[];
}

export async function runLogDoctor(options: DoctorOptions): Promise<DoctorReport> {
  const { redis } = options;
  const keys = storeKeys(options.prefix ?? 'docker-builder:');
  const seed = storeKeys(options.seedPrefix ?? '');
  const now = options.now ?? (() => new Date());
  const stamp = now().toISOString().replace(/[-:.]/g, '');
  const report: DoctorReport = { scanned: 0, findings: [] };

  for await (const jobKey of scanJobKeys(redis, keys.job(''))) {
    report.scanned += 1;
    const id = jobKey.slice(keys.job('').length);
    const values = await redis.lrangeBuffer(keys.logs(id), 0, -1);
    const kinds = countKinds(values);
    if (!kinds.gzip && !kinds.zlib && !kinds.binary) continue;
    const finding: DoctorFinding = { jobId: id, layout: 'ours', kinds, action: options.fix ? 'fixed' : 'would fix' };
    if (options.fix) {
      finding.backupKey = `${keys.logs(id)}:backup:${stamp}`;
      const pieces = values.map((value) => (classify(value) === 'text' ? [value.toString('utf8')] : splitLines(toText(value))));
      // A finished job's log expires with it (retention): the rewritten one keeps what was left of that.
      const ttl = await redis.pttl(keys.logs(id));
      const transaction = redis.multi().copy(keys.logs(id), finding.backupKey).del(keys.logs(id)).rpush(keys.logs(id), ...pieces.flat());
      await withRunsMoved(redis, keys.logTimes(id), pieces, transaction);
      if (ttl > 0) transaction.pexpire(keys.logs(id), ttl).pexpire(keys.logTimes(id), ttl);
      await execChecked(transaction);
    }
    report.findings.push(finding);
  }

  if (options.seedPrefix !== undefined || options.migrateSeed) {
    for await (const jobKey of scanJobKeys(redis, seed.job(''))) {
      const raw = await redis.hgetallBuffer(jobKey);
      const logs = raw.logs;
      // Only the seed's shape: a hash with `logs` and without our `spec`.
      if (!logs || raw.spec) continue;
      report.scanned += 1;
      const id = jobKey.slice(seed.job('').length);
      const finding: DoctorFinding = { jobId: id, layout: 'seed', kinds: countKinds([logs]), action: 'none' };
      const clean = finding.kinds.text === 1;
      if (options.migrateSeed) {
        finding.action = (await redis.exists(keys.job(id))) ? 'already migrated' : 'migrated';
        if (finding.action === 'migrated') await migrate(redis, keys, seed, id, raw, now());
      } else if (!clean && options.fix) {
        finding.backupKey = `${jobKey}:logs:backup:${stamp}`;
        await execChecked(redis.multi().set(finding.backupKey, logs).hset(jobKey, 'logs', JSON.stringify(seedLogLines(logs))));
        finding.action = 'fixed';
      } else {
        finding.action = clean ? 'would migrate' : 'would fix';
      }
      report.findings.push(finding);
    }
  }
  return report;
}

/**
 * A value split into several lines moves every line after it: each run of the log's times
 * (keys.ts's `logTimes`) is moved to where its first value's lines start now, in the same
 * transaction as the rewrite, so every line keeps the time it was stored at.
 */
async function withRunsMoved(redis: Redis, key: string, pieces: string[][], transaction: ChainableCommander): Promise<ChainableCommander> {
  const runs = (await redis.zrange(key, 0, -1)).map(parseLogRun).filter((run) => run !== null);
  if (runs.length === 0) return transaction;
  const starts: number[] = [];
  let next = 0;
  for (const piece of pieces) {
    starts.push(next);
    next += piece.length;
  }
  // A value that became no line at all leaves its run where the next value's lines start: the later run wins.
  const moved = new Map<number, number>();
  for (const run of runs) if (run.from < starts.length) moved.set(starts[run.from]!, run.at);
  transaction.del(key);
  for (const [from, at] of moved) transaction.zadd(key, from, logRunMember({ from, at }));
  return transaction;
}

function countKinds(values: Buffer[]): Partial<Record<PayloadKind, number>> {
  const kinds: Partial<Record<PayloadKind, number>> = {};
  for (const value of values) {
    const kind = classify(value);
    kinds[kind] = (kinds[kind] ?? 0) + 1;
  }
  return kinds;
}

/** Job hashes only: not `:logs` lists, backups or other keys under `job:`. */
async function* scanJobKeys(redis: Redis, jobPrefix: string): AsyncGenerator<string> {
  const pattern = `${jobPrefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500);
    cursor = next;
    for (const key of found) {
      if (!key.slice(jobPrefix.length).includes(':') && (await redis.type(key)) === 'hash') yield key;
    }
  } while (cursor !== '0');
}

async function migrate(
  redis: Redis,
  keys: ReturnType<typeof storeKeys>,
  seed: ReturnType<typeof storeKeys>,
  id: string,
  raw: Record<string, Buffer>,
  now: Date,
): Promise<void> {
  const deploy = await redis.hgetall(seed.deploy(id));
  const mappings = deploy.mappings ? (JSON.parse(deploy.mappings) as Record<string, string>) : null;
  const user = deploy.user ? parseSeedUser(deploy.user) : null;
  const seedState = raw.state?.toString('utf8') ?? 'error';
  const finished = ['done', 'error'].includes(seedState);
  const job: Job = {
    ...initialJob({
      id,
      kind: mappings ? 'deploy' : 'build',
      // The seed kept no build payload; a migrated build cannot be retried, and says so when asked.
      spec: (mappings ? { mappings } : {}) as Job['spec'],
      user,
      retryOf: null,
      createdAt: now.toISOString(),
    }),
    state: finished ? (seedState as Job['state']) : 'error',
    progress: seedState === 'done' ? 100 : 0,
    finishedAt: now.toISOString(),
    error: finished ? (seedState === 'error' ? 'failed in docker-builder-service (migrated)' : null) : `was ${seedState} in docker-builder-service when migrated; it never finished there`,
  };
  const lines = seedLogLines(raw.logs!);
  // Found by a search like every other job: in its term sets, which retention's sweep reads from `indexedIn`.
  const termSets = jobSearchTerms(job).map((term) => keys.term(term));
  const transaction = redis
    .multi()
    .hset(keys.job(id), ...toHashFields(job), 'indexedIn', termSets.join('\n'))
    .zadd(keys.ids, 0, id)
    .zadd(keys.index(job.kind, job.state), 0, id)
    .del(keys.logs(id))
    // The seed kept no times: its lines have none.
    .del(keys.logTimes(id));
  if (lines.length > 0) transaction.rpush(keys.logs(id), ...lines);
  for (const set of termSets) transaction.zadd(set, 0, id);
  if (mappings) transaction.hset(keys.deploy(id), 'mappings', JSON.stringify(mappings), 'user', JSON.stringify(user));
  await execChecked(transaction);
}

function parseSeedUser(value: string): Job['user'] {
  try {
    const parsed = JSON.parse(value) as { sub?: unknown };
    if (parsed && typeof parsed.sub === 'string') return { sub: parsed.sub };
  } catch {
    // The seed stored the plain sub.
  }
  return { sub: value };
}
