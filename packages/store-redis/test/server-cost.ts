/**
 * Cost, not speed: the Redis server's own CPU time per call of an operation (INFO commandstats),
 * read through `admin` on a Redis of the test's own, so nothing else is counted.
 */
import type { Redis } from 'ioredis';

export async function serverMicrosPerCall(admin: Redis, operation: () => Promise<unknown>, times: number): Promise<number> {
  await admin.config('RESETSTAT');
  for (let i = 0; i < times; i += 1) await operation();
  const stats = await admin.info('commandstats');
  let micros = 0;
  for (const match of stats.matchAll(/^cmdstat_(\w+):calls=\d+,usec=(\d+)/gm)) {
    if (match[1] !== 'info' && match[1] !== 'config') micros += Number(match[2]);
  }
  return micros / times;
}
