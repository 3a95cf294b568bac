#!/usr/bin/env node
/**
 * docker-builder-log-doctor: report job logs that are not clean text, and repair them.
 *
 *   docker-builder-log-doctor --redis redis://127.0.0.1:6379            # dry run: report only
 *   docker-builder-log-doctor --redis … --fix                           # back up, then rewrite as text
 *   docker-builder-log-doctor --redis … --seed-prefix ''                # also look at the seed's jobs
 *   docker-builder-log-doctor --redis … --migrate-seed                  # copy the seed's jobs into ours
 *
 * Exit code: 0 nothing to do (or all done), 1 problems found in a dry run, 2 bad usage.
 */
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { runLogDoctor } from './doctor.js';
import { redactRedisUrl } from '../connection.js';

const USAGE = 'usage: docker-builder-log-doctor [--redis URL] [--prefix P] [--seed-prefix P] [--fix] [--migrate-seed]';

async function main(): Promise<number> {
  let args;
  try {
    args = parseArgs({
      options: {
        redis: { type: 'string', default: process.env.REDIS_URL ?? 'redis://127.0.0.1:6379' },
        prefix: { type: 'string', default: 'docker-builder:' },
        'seed-prefix': { type: 'string' },
        fix: { type: 'boolean', default: false },
        'migrate-seed': { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (args.help) {
    process.stdout.write(`${USAGE}\n`);
    return 0;
  }
  const redis = new Redis(args.redis, { maxRetriesPerRequest: 1, lazyConnect: true });
  try {
    await redis.connect();
  } catch (error) {
    console.error(`cannot reach Redis at ${redactRedisUrl(args.redis)}: ${(error as Error).message}`);
    return 2;
  }
  try {
    const report = await runLogDoctor({
      redis,
      prefix: args.prefix,
      seedPrefix: args['seed-prefix'] ?? (args['migrate-seed'] ? '' : undefined),
      fix: args.fix,
      migrateSeed: args['migrate-seed'],
    });
    for (const finding of report.findings) {
      const kinds = Object.entries(finding.kinds).map(([kind, count]) => `${count} ${kind}`).join(', ');
      const backup = finding.backupKey ? ` (raw value kept in ${finding.backupKey})` : '';
      process.stdout.write(`${finding.jobId}  ${finding.layout} layout  ${kinds}  → ${finding.action}${backup}\n`);
    }
    const pending = report.findings.filter((f) => f.action.startsWith('would')).length;
    const tally = new Map<string, number>();
    for (const finding of report.findings) tally.set(finding.action, (tally.get(finding.action) ?? 0) + 1);
    const summary = [...tally].map(([action, count]) => `${count} ${action}`).join(', ') || 'all logs are clean text';
    process.stdout.write(
      `scanned ${report.scanned} job${report.scanned === 1 ? '' : 's'}: ${summary}` +
        (pending > 0 ? '\ndry run, nothing changed: --fix repairs logs, --migrate-seed copies the seed service\'s jobs into ours' : '') +
        '\n',
    );
    return pending > 0 ? 1 : 0;
  } finally {
    redis.disconnect();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(2);
  },
);
