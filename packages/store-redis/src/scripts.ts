/**
 * The store's atomic operations as Lua scripts: each checks state and attempt, writes, moves
 * the job between index sets and publishes a change notification in one step, so two
 * processes can never both claim a job and a late write can never move a finished one.
 */
import type { Redis } from 'ioredis';

const TERMINAL = `(state == 'done' or state == 'error' or state == 'cancelled')`;

/** KEYS: job, ids, index(kind, queued), deploy. ARGV: id, mappings JSON or '', user JSON, field/value pairs… */
const CREATE = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 4))
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[4], 'mappings', ARGV[2], 'user', ARGV[3]) end
return 1`;

/**
 * KEYS: job, logs, deploy, then the ten index sets (build × 5 states, deploy × 5 states).
 * ARGV: to, at, attempt fence or '', error, set-error flag, result JSON or '', progress or '',
 * retention seconds, events channel, then the accepted from-states.
 */
const TRANSITION = `
local job = KEYS[1]
local state = redis.call('HGET', job, 'state')
if not state then return -1 end
local accepted = false
for i = 10, #ARGV do if ARGV[i] == state then accepted = true end end
if not accepted then return 0 end
if ARGV[3] ~= '' and redis.call('HGET', job, 'attempt') ~= ARGV[3] then return 0 end
local kinds = { build = 0, deploy = 1 }
local states = { queued = 1, running = 2, done = 3, error = 4, cancelled = 5 }
local kind = redis.call('HGET', job, 'kind')
local id = redis.call('HGET', job, 'id')
local to = ARGV[1]
redis.call('HSET', job, 'state', to)
if to == 'running' then
  redis.call('HINCRBY', job, 'attempt', 1)
  redis.call('HSET', job, 'startedAt', ARGV[2])
end
local terminal = (to == 'done' or to == 'error' or to == 'cancelled')
if terminal then redis.call('HSET', job, 'finishedAt', ARGV[2]) end
if ARGV[5] == '1' then redis.call('HSET', job, 'error', ARGV[4]) end
if ARGV[6] ~= '' then redis.call('HSET', job, 'result', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', job, 'progress', ARGV[7]) end
redis.call('ZREM', KEYS[3 + kinds[kind] * 5 + states[state]], id)
redis.call('ZADD', KEYS[3 + kinds[kind] * 5 + states[to]], 0, id)
local ttl = tonumber(ARGV[8])
if terminal and ttl > 0 then
  redis.call('EXPIRE', job, ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
end
redis.call('PUBLISH', ARGV[9], 'state')
return redis.call('HGETALL', job)`;

/** KEYS: job, logs. ARGV: attempt fence or '', events channel, lines… Returns the new length, -1 unknown job, -2 refused. */
const APPEND_LOGS = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
if ${TERMINAL} then return -2 end
if ARGV[1] ~= '' and redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then return -2 end
if #ARGV < 3 then return redis.call('LLEN', KEYS[2]) end
local length = 0
for i = 3, #ARGV, 1000 do
  length = redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('PUBLISH', ARGV[2], 'logs')
return length`;

/** KEYS: job. ARGV: attempt, progress, events channel. */
const SET_PROGRESS = `
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'progress', ARGV[2])
redis.call('PUBLISH', ARGV[3], 'progress')
return 1`;

/** KEYS: job. ARGV: at, events channel. */
const REQUEST_CANCEL = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
if state ~= 'running' then return 0 end
if redis.call('HGET', KEYS[1], 'cancelRequestedAt') == '' then
  redis.call('HSET', KEYS[1], 'cancelRequestedAt', ARGV[1])
end
redis.call('PUBLISH', ARGV[2], 'cancel')
return redis.call('HGETALL', KEYS[1])`;

type Args = Array<string | number>;
type ScriptResult = number | string[];

export interface StoreScripts {
  create(keys: string[], args: Args): Promise<number>;
  transition(keys: string[], args: Args): Promise<ScriptResult>;
  appendLogs(keys: string[], args: Args): Promise<number>;
  setProgress(keys: string[], args: Args): Promise<number>;
  requestCancel(keys: string[], args: Args): Promise<ScriptResult>;
}

const SCRIPTS = {
  dbCreate: CREATE,
  dbTransition: TRANSITION,
  dbAppendLogs: APPEND_LOGS,
  dbSetProgress: SET_PROGRESS,
  dbRequestCancel: REQUEST_CANCEL,
};

/** Registers the scripts on the connection (EVALSHA, loaded once) and returns typed callers. */
export function storeScripts(redis: Redis): StoreScripts {
  const commands = redis as unknown as Record<string, (...args: Args) => Promise<ScriptResult>>;
  for (const [name, lua] of Object.entries(SCRIPTS)) {
    if (!commands[name]) redis.defineCommand(name, { lua });
  }
  const call = (name: keyof typeof SCRIPTS) => (keys: string[], args: Args) => commands[name]!(keys.length, ...keys, ...args);
  return {
    create: call('dbCreate') as StoreScripts['create'],
    transition: call('dbTransition'),
    appendLogs: call('dbAppendLogs') as StoreScripts['appendLogs'],
    setProgress: call('dbSetProgress') as StoreScripts['setProgress'],
    requestCancel: call('dbRequestCancel'),
  };
}
