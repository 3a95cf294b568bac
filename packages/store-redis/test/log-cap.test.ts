/**
 * A runaway log in the Redis setup keeps its beginning and its end (issue 13, item 4): the
 * recap and the failure at the end of an ansible or docker log are what a reader needs, and
 * the cap used to drop them. Indexes stay contiguous, so followers resume as before.
 */
import { afterEach, expect, inject, it } from 'vitest';
import { createBuilder, type Builder } from '@docker-builder/core';
import { collect, createScriptedRunner, eventually, jobEnded } from '@docker-builder/core/testing';
import { createRedisJobStore } from '@docker-builder/store-redis';
import { uniquePrefix } from '../../../test-support/prefix.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

it('keeps the head, says how many lines were dropped, and ends with the last lines a runner wrote (3× the cap)', async () => {
  const maxLines = 1_000;
  // 3,000 lines, the last of them the recap; then the runner fails, which the job's last line says.
  const lines = Array.from({ length: 2_999 }, (_, i) => `TASK [step ${i}] ok`);
  const recap = 'PLAY RECAP web-1 : ok=2998 changed=1 unreachable=0 failed=1';
  const deploy = createScriptedRunner({ kind: 'deploy', script: [{ log: lines }, { gate: 'end' }, { log: recap }, { fail: 'ansible-playbook exited with code 2' }] });
  const builder: Builder = createBuilder({
    store: createRedisJobStore({ redis: inject('redisUrl'), prefix: uniquePrefix('log-cap') }),
    runners: { deploy },
    logs: { maxLines, flushIntervalMs: 5 },
    reapIntervalMs: false,
  });
  closers.push(() => builder.close({ deadlineMs: 1_000 }));

  const { id } = await builder.submitDeploy({ mappings: { web: 'registry.example.com/web:1' } });
  const follower = collect(builder.store.followLogs(id, { from: 0 }));
  // A tail of a tenth of the cap (100 lines); the head leaves room for it and two lines of explanation.
  const head = maxLines - 100 - 2;
  const limitReached = `[docker-builder] log limit of ${maxLines} lines reached: from here only the last 100 lines (up to 4 MiB) are kept; they appear when the job ends`;
  // While the job runs past its cap, a follower sees the head and the line that says why it went quiet.
  await eventually(async () => (await builder.readLogs(id, { from: head })).lines[0] === limitReached, 10_000, 'the limit line');
  expect((await builder.readLogs(id, { from: 0 })).total).toBe(head + 1);
  deploy.open('end');

  const job = await jobEnded(builder, id, 10_000);
  expect(job.state).toBe('error');
  const { lines: stored, total } = await builder.readLogs(id, { from: 0 });
  expect(total).toBe(maxLines);
  expect(stored.slice(0, head)).toEqual(lines.slice(0, head));
  expect(stored[head]).toBe(limitReached);
  // 2,999 lines, the recap and the failure line: 3,001, of which the head kept 898 and the tail 100.
  expect(stored[head + 1]).toBe(`[docker-builder] log limit of ${maxLines} lines reached: 2003 lines were dropped here; the last 100 lines of the log follow`);
  expect(stored.slice(head + 2)).toEqual([...lines.slice(-98), recap, '[docker-builder] job failed: ansible-playbook exited with code 2']);

  // Indexes are contiguous: a follower from the start saw every line once, in order, and one
  // resuming with a Last-Event-ID past the head picks up exactly there.
  const followed = await follower;
  expect(followed.map((entry) => entry.index)).toEqual(stored.map((_, index) => index));
  expect(followed.map((entry) => entry.line)).toEqual(stored);
  const resumed = await collect(builder.store.followLogs(id, { from: head + 1 }));
  expect(resumed.map((entry) => entry.index)).toEqual(Array.from({ length: maxLines - head - 1 }, (_, i) => head + 1 + i));
});
