/**
 * The shared subscriber: listeners on one channel come and go in any order, and whoever still
 * listens is woken by a notification, not by the poll. pollMs is a minute in every test, so
 * polling cannot hide a lost subscription.
 */
import { afterEach, describe, expect, inject, it } from 'vitest';
import { Redis } from 'ioredis';
import { createJobNotifications, type ChangeListener, type JobNotifications } from '../src/job-notifications.js';
import { uniquePrefix } from '../../../test-support/prefix.js';

const POLL_MS = 60_000;
const WOKEN_WITHIN_MS = 2_000;

let notifications: JobNotifications;
let publisher: Redis;
afterEach(async () => {
  await notifications?.close();
  publisher?.disconnect();
});

async function setUp() {
  const url = inject('redisUrl');
  notifications = createJobNotifications(() => new Redis(url));
  publisher = new Redis(url);
  // Connected first, so a PUBLISH is not held back behind the subscriber's connect.
  await publisher.ping();
  return `${uniquePrefix('notify')}job:x:events`;
}

/** Resolves true when the listener is woken before the deadline, false when only the poll would wake it. */
async function wokenSoon(listener: ChangeListener): Promise<boolean> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), WOKEN_WITHIN_MS);
  await listener.next(deadline.signal, POLL_MS);
  clearTimeout(timer);
  return !deadline.signal.aborted;
}

const subscribers = async (channel: string) => ((await publisher.pubsub('NUMSUB', channel)) as [string, number])[1];

describe('job notifications', () => {
  it('wakes a listener whose SUBSCRIBE was in flight when another listener on the channel came and went', async () => {
    const channel = await setUp();
    const first = notifications.listen(channel);
    const second = await notifications.listen(channel);
    second.close();
    const listener = await first;
    await publisher.publish(channel, 'changed');
    expect(await wokenSoon(listener)).toBe(true);
    expect(await subscribers(channel)).toBe(1);
    listener.close();
  });

  it('returns a second listener only once the SUBSCRIBE it shares is in place', async () => {
    const channel = await setUp();
    const first = notifications.listen(channel);
    const second = await notifications.listen(channel);
    await publisher.publish(channel, 'changed');
    expect(await wokenSoon(second)).toBe(true);
    second.close();
    (await first).close();
  });

  it('keeps the channel subscribed while any listener remains, and unsubscribes after the last', async () => {
    const channel = await setUp();
    const [a, b] = await Promise.all([notifications.listen(channel), notifications.listen(channel)]);
    a.close();
    await publisher.publish(channel, 'changed');
    expect(await wokenSoon(b)).toBe(true);
    b.close();
    b.close();
    await expect.poll(() => subscribers(channel)).toBe(0);
  });

  it('subscribes again for a listener that arrives just after the last one left', async () => {
    const channel = await setUp();
    (await notifications.listen(channel)).close();
    const again = await notifications.listen(channel);
    await publisher.publish(channel, 'changed');
    expect(await wokenSoon(again)).toBe(true);
    again.close();
  });
});
