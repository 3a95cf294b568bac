/**
 * The store's atomic operations as Lua scripts: each checks state and attempt, writes, moves
 * the job between index sets, records a job event and publishes a change notification in one step, so two
 * processes can never both claim a job and a late write can never move a finished one.
 */
import type { Redis } from 'ioredis';

const TERMINAL = `(state == 'done' or state == 'error' or state == 'cancelled')`;

/** Redis's own clock in milliseconds: leases never depend on the clocks of the machines that renew them. */
const NOW_MS = `local clock = redis.call('TIME')
local now = tonumber(clock[1]) * 1000 + math.floor(tonumber(clock[2]) / 1000)`;

/**
 * The job as an event carries it (job-event-entry.ts reads it back): the fields a list shows, the
 * error's first line only, never the spec or result. \`event\` records it in the event stream, in
 * the same script as the change it reports, trimmed to about \`maxlen\` entries.
 */
const EVENTS = `
local function headline(job, loglength)
  local f = redis.call('HMGET', job, 'id', 'kind', 'state', 'progress', 'attempt', 'createdAt', 'startedAt', 'finishedAt',
    'cancelRequestedAt', 'error', 'user', 'cancelledBy', 'retryOf', 'subject', 'waitingFor')
  local err = string.match(f[10] or '', '^[^\\r\\n]*')
  if #err > 2000 then err = string.sub(err, 1, 2000) end
  return { 'job', f[1], 'kind', f[2], 'state', f[3], 'progress', f[4], 'attempt', f[5] or '0', 'logs', loglength,
    'createdAt', f[6] or '', 'startedAt', f[7] or '', 'finishedAt', f[8] or '', 'cancelRequestedAt', f[9] or '',
    'error', err, 'user', f[11] or 'null', 'cancelledBy', f[12] or 'null', 'retryOf', f[13] or '', 'subject', f[14] or '', 'waitingFor', f[15] or '' }
end
local function event(stream, maxlen, type, job, loglength, placeinline)
  local fields = headline(job, loglength)
  if placeinline then
    fields[#fields + 1] = 'placeInLine'
    fields[#fields + 1] = placeinline
  end
  redis.call('XADD', stream, 'MAXLEN', '~', maxlen, '*', 'type', type, unpack(fields))
end`;

/**
 * KEYS: job, ids, index(kind, queued), deploy, leases, event stream, index(other kind, queued),
 * the job this one retries (or the job itself), the groups registry, then the sets it is found
 * by (its retries set first when it retries one, then one per search term) and its groups'
 * lines. ARGV: id, mappings JSON or '', user JSON, lease ms or '', events kept, '1' when it
 * retries a job, field/value pairs… A retries set lives as long as the job retried; each of
 * its groups' limit and policy is recorded as this job has them. The created event carries the
 * job's place in line.
 */
const CREATE = `${EVENTS}
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], unpack(ARGV, 7))
redis.call('ZADD', KEYS[2], 0, ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[1])
for i = 10, #KEYS do redis.call('ZADD', KEYS[i], 0, ARGV[1]) end
if ARGV[6] == '1' then
  local ttl = redis.call('PTTL', KEYS[8])
  if ttl > 0 then redis.call('PEXPIRE', KEYS[10], ttl) end
end
for _, group in ipairs(cjson.decode(redis.call('HGET', KEYS[1], 'groups') or '[]')) do
  redis.call('HSET', KEYS[9], group.name, cjson.encode({ limit = group.limit, policy = group.policy }))
end
local place = 1 + redis.call('ZLEXCOUNT', KEYS[3], '-', '(' .. ARGV[1]) + redis.call('ZLEXCOUNT', KEYS[7], '-', '(' .. ARGV[1])
if ARGV[2] ~= '' then redis.call('HSET', KEYS[4], 'mappings', ARGV[2], 'user', ARGV[3]) end
if ARGV[4] ~= '' then
  ${NOW_MS}
  redis.call('ZADD', KEYS[5], now + tonumber(ARGV[4]), ARGV[1])
end
event(KEYS[6], ARGV[5], 'created', KEYS[1], 0, place)
return 1`;

/**
 * KEYS: expiring, expiring indexes, ids, then the ten index sets. ARGV: the most to look at, the
 * key prefix. Takes jobs that retention has removed out of every set that lists them, so counts
 * and searches never see them. (The sets a job is found by are named in the expiring-indexes
 * hash; all share the prefix, and so the Cluster slot of its hash tag.)
 */
const SWEEP = `
${NOW_MS}
local due = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, tonumber(ARGV[1]))
local swept = 0
for _, id in ipairs(due) do
  if redis.call('EXISTS', ARGV[2] .. 'job:' .. id) == 0 then
    local indexes = redis.call('HGET', KEYS[2], id)
    if indexes then
      for key in string.gmatch(indexes, '[^\\n]+') do redis.call('ZREM', key, id) end
    end
    for i = 3, #KEYS do redis.call('ZREM', KEYS[i], id) end
    redis.call('HDEL', KEYS[2], id)
    redis.call('ZREM', KEYS[1], id)
    swept = swept + 1
  end
end
return swept`;

/** KEYS: a scratch key, a search term's set, then index sets. Returns how many of the term's jobs each index set holds. */
const COUNT_MATCHES = `
local counts = {}
for i = 3, #KEYS do counts[#counts + 1] = redis.call('ZINTERSTORE', KEYS[1], 2, KEYS[2], KEYS[i]) end
redis.call('DEL', KEYS[1])
return counts`;

/**
 * When a log's lines were stored (keys.ts's \`logTimes\`): \`logrun\` records a run from line
 * \`from\` at \`now\`, never before the run ahead of it, so a clock set back cannot make later
 * lines look older. Called with the append, in the same script, only when lines are added.
 */
const LOG_RUNS = `
local function logrun(times, from, now)
  local last = redis.call('ZREVRANGE', times, 0, 0)[1]
  local previous = last and tonumber(string.match(last, ':(%d+)$'))
  if previous and previous > now then now = previous end
  redis.call('ZADD', times, from, string.format('%d:%d', from, now))
end`;

/**
 * Concurrency groups (core's job-groups.ts), read from the job's hash: `groups` (name, limit,
 * policy) and `groupKeys` (per group: its holders set, its waiting sorted set and its words, as
 * keys.ts names them). `blocker` says which job keeps this one from starting, if any: a full
 * group's oldest holder, or the oldest job waiting ahead of it (jobs start in submission order).
 * `moved` takes or frees the slots and the places in line as the job moves between states.
 */
const GROUPS = `
local groups = cjson.decode(redis.call('HGET', job, 'groups') or '[]')
local groupkeys = cjson.decode(redis.call('HGET', job, 'groupKeys') or '[]')
local function blocker(groups, groupkeys, id)
  for i, g in ipairs(groups) do
    local holders, waiting = groupkeys[i][1], groupkeys[i][2]
    local held = redis.call('SCARD', holders)
    local ahead = nil
    if held >= g.limit then
      ahead = redis.call('SORT', holders, 'ALPHA', 'LIMIT', 0, 1)[1]
    elseif redis.call('ZLEXCOUNT', waiting, '-', '(' .. id) >= g.limit - held then
      ahead = redis.call('ZRANGEBYLEX', waiting, '-', '+', 'LIMIT', 0, 1)[1]
    end
    if ahead then return { group = g.name, jobId = ahead, label = groupkeys[i][3] } end
  end
  return nil
end
local function moved(groups, groupkeys, id, from, to)
  if from == to then return end
  for i in ipairs(groups) do
    local holders, waiting = groupkeys[i][1], groupkeys[i][2]
    if from == 'running' then redis.call('SREM', holders, id) end
    if from == 'queued' then redis.call('ZREM', waiting, id) end
    if to == 'running' then redis.call('SADD', holders, id) end
    if to == 'queued' then redis.call('ZADD', waiting, 0, id) end
  end
end`;

/**
 * KEYS: job, logs, deploy, leases, then the ten index sets (build × 5 states, deploy × 5 states),
 * then the event stream, the expiring set, the expiring-indexes hash and the log's times (KEYS[18]).
 * ARGV: to, at, attempt fence or '', error, set-error flag, result JSON or '', progress or '',
 * retention seconds, events channel, accepted from-states (comma-separated), lease ms or '',
 * only-if-lease-expired flag ('1'; or 'claim': a worker's claim, which starts the job only if its
 * concurrency groups let it, else leaves it queued saying why and returns 'waiting' before the
 * job's fields), cancelled-by JSON or '', events kept, then log lines to append in the same step.
 */
const TRANSITION = `${EVENTS}${LOG_RUNS}
local job = KEYS[1]
local state = redis.call('HGET', job, 'state')
if not state then return -1 end
local accepted = false
for from in string.gmatch(ARGV[10], '[^,]+') do if from == state then accepted = true end end
if not accepted then return 0 end
if ARGV[3] ~= '' and redis.call('HGET', job, 'attempt') ~= ARGV[3] then return 0 end
local id = redis.call('HGET', job, 'id')
${NOW_MS}
if ARGV[12] == '1' then
  local deadline = redis.call('ZSCORE', KEYS[4], id)
  if not deadline or tonumber(deadline) > now then return 0 end
end
local kinds = { build = 0, deploy = 1 }
local states = { queued = 1, running = 2, done = 3, error = 4, cancelled = 5 }
local kind = redis.call('HGET', job, 'kind')
local to = ARGV[1]
${GROUPS}
if ARGV[12] == 'claim' then
  local blocked = blocker(groups, groupkeys, id)
  if blocked then
    redis.call('HINCRBY', job, 'waits', 1)
    redis.call('ZADD', KEYS[4], now + tonumber(ARGV[11]), id)
    local current = redis.call('HGET', job, 'waitingFor')
    local was = (current and current ~= '') and cjson.decode(current) or nil
    if not was or was.group ~= blocked.group or was.jobId ~= blocked.jobId then
      redis.call('HSET', job, 'waitingFor', cjson.encode({ group = blocked.group, jobId = blocked.jobId, since = ARGV[2] }))
      logrun(KEYS[18], redis.call('LLEN', KEYS[2]), now)
      redis.call('RPUSH', KEYS[2], '[docker-builder] waiting for ' .. blocked.jobId .. ' (' .. blocked.label .. ')')
      event(KEYS[15], ARGV[14], 'waiting', job, redis.call('LLEN', KEYS[2]))
      redis.call('PUBLISH', ARGV[9], 'logs')
    end
    local all = redis.call('HGETALL', job)
    table.insert(all, 1, 'waiting')
    return all
  end
end
if #ARGV >= 15 then logrun(KEYS[18], redis.call('LLEN', KEYS[2]), now) end
for i = 15, #ARGV, 1000 do
  redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('HSET', job, 'state', to)
moved(groups, groupkeys, id, state, to)
if to == 'running' then
  redis.call('HINCRBY', job, 'attempt', 1)
  redis.call('HSET', job, 'startedAt', ARGV[2], 'waitingFor', '')
end
local terminal = (to == 'done' or to == 'error' or to == 'cancelled')
if terminal then redis.call('HSET', job, 'waitingFor', '') end
if terminal then redis.call('HSET', job, 'finishedAt', ARGV[2]) end
if ARGV[5] == '1' then redis.call('HSET', job, 'error', ARGV[4]) end
if ARGV[6] ~= '' then redis.call('HSET', job, 'result', ARGV[6]) end
if ARGV[7] ~= '' then redis.call('HSET', job, 'progress', ARGV[7]) end
if ARGV[13] ~= '' then redis.call('HSET', job, 'cancelledBy', ARGV[13]) end
if terminal or ARGV[11] == '' then
  redis.call('ZREM', KEYS[4], id)
else
  redis.call('ZADD', KEYS[4], now + tonumber(ARGV[11]), id)
end
redis.call('ZREM', KEYS[4 + kinds[kind] * 5 + states[state]], id)
redis.call('ZADD', KEYS[4 + kinds[kind] * 5 + states[to]], 0, id)
local ttl = tonumber(ARGV[8])
if terminal and ttl > 0 then
  redis.call('EXPIRE', job, ttl)
  redis.call('EXPIRE', KEYS[2], ttl)
  redis.call('EXPIRE', KEYS[3], ttl)
  redis.call('EXPIRE', KEYS[18], ttl)
  redis.call('ZADD', KEYS[16], now + ttl * 1000, id)
  local indexed = redis.call('HGET', job, 'indexedIn')
  if indexed and indexed ~= '' then redis.call('HSET', KEYS[17], id, indexed) end
end
local happened = 'finished'
if to == 'running' then happened = 'started' elseif to == 'queued' then happened = 'requeued' end
-- Back in line (its worker was lost): where, among the queued sets of both kinds (KEYS[5], KEYS[10]).
local place = nil
if to == 'queued' then
  place = 1 + redis.call('ZLEXCOUNT', KEYS[5], '-', '(' .. id) + redis.call('ZLEXCOUNT', KEYS[10], '-', '(' .. id)
end
event(KEYS[15], ARGV[14], happened, job, redis.call('LLEN', KEYS[2]), place)
redis.call('PUBLISH', ARGV[9], 'state')
return redis.call('HGETALL', job)`;

/** KEYS: job, leases. ARGV: id, attempt, lease ms. Extends the lease of an unfinished job at that attempt. */
const RENEW_LEASE = `
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
if ${TERMINAL} then return 0 end
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[2] then return 0 end
${NOW_MS}
redis.call('ZADD', KEYS[2], now + tonumber(ARGV[3]), ARGV[1])
return 1`;

/** KEYS: leases. ARGV: limit. Returns Redis's time (ms), then id/deadline pairs of the leases that ran out. */
const EXPIRED_LEASES = `
${NOW_MS}
return { now, redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'WITHSCORES', 'LIMIT', 0, tonumber(ARGV[1])) }`;

/** KEYS: job, logs, log times. ARGV: attempt fence or '', events channel, lines… Returns the new length, -1 unknown job, -2 refused. */
const APPEND_LOGS = `${LOG_RUNS}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
if ${TERMINAL} then return -2 end
if ARGV[1] ~= '' and (state ~= 'running' or redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1]) then return -2 end
if #ARGV < 3 then return redis.call('LLEN', KEYS[2]) end
${NOW_MS}
logrun(KEYS[3], redis.call('LLEN', KEYS[2]), now)
local length = 0
for i = 3, #ARGV, 1000 do
  length = redis.call('RPUSH', KEYS[2], unpack(ARGV, i, math.min(i + 999, #ARGV)))
end
redis.call('PUBLISH', ARGV[2], 'logs')
return length`;

/** KEYS: job, logs, event stream. ARGV: attempt, progress, events channel, events kept. Records an event only for a new value. */
const SET_PROGRESS = `${EVENTS}
if redis.call('HGET', KEYS[1], 'state') ~= 'running' then return 0 end
if redis.call('HGET', KEYS[1], 'attempt') ~= ARGV[1] then return 0 end
if redis.call('HGET', KEYS[1], 'progress') == ARGV[2] then return 1 end
redis.call('HSET', KEYS[1], 'progress', ARGV[2])
event(KEYS[3], ARGV[4], 'progress', KEYS[1], redis.call('LLEN', KEYS[2]))
redis.call('PUBLISH', ARGV[3], 'progress')
return 1`;

/** KEYS: job, logs, event stream. ARGV: at, events channel, cancelled-by JSON, events kept. The first request is the one recorded. */
const REQUEST_CANCEL = `${EVENTS}
local state = redis.call('HGET', KEYS[1], 'state')
if not state then return -1 end
if state ~= 'running' then return 0 end
if redis.call('HGET', KEYS[1], 'cancelRequestedAt') == '' then
  redis.call('HSET', KEYS[1], 'cancelRequestedAt', ARGV[1], 'cancelledBy', ARGV[3])
  event(KEYS[3], ARGV[4], 'cancel-requested', KEYS[1], redis.call('LLEN', KEYS[2]))
end
redis.call('PUBLISH', ARGV[2], 'cancel')
return redis.call('HGETALL', KEYS[1])`;

/**
 * KEYS: event stream, then optionally a job and its log. Where the stream stands: its newest id,
 * its oldest kept id (or ''), how many entries were ever added (-1 before Redis 7) and how many
 * it holds; with a job, also that job as an event carries it, read in the same step.
 */
const FEED_HEAD = `${EVENTS}
local head, first, added, length = '0-0', '', -1, 0
if redis.call('EXISTS', KEYS[1]) == 1 then
  local info = redis.call('XINFO', 'STREAM', KEYS[1])
  for i = 1, #info, 2 do
    local name, value = info[i], info[i + 1]
    if name == 'last-generated-id' then head = value
    elseif name == 'entries-added' then added = value
    elseif name == 'length' then length = value
    elseif name == 'first-entry' and value then first = value[1] end
  end
end
if KEYS[2] and redis.call('EXISTS', KEYS[2]) == 1 then
  return { head, first, added, length, headline(KEYS[2], redis.call('LLEN', KEYS[3])) }
end
return { head, first, added, length }`;

type Args = Array<string | number>;
type ScriptResult = number | string[];

export interface StoreScripts {
  create(keys: string[], args: Args): Promise<number>;
  transition(keys: string[], args: Args): Promise<ScriptResult>;
  appendLogs(keys: string[], args: Args): Promise<number>;
  setProgress(keys: string[], args: Args): Promise<number>;
  requestCancel(keys: string[], args: Args): Promise<ScriptResult>;
  renewLease(keys: string[], args: Args): Promise<number>;
  expiredLeases(keys: string[], args: Args): Promise<[number, string[]]>;
  feedHead(keys: string[], args: Args): Promise<[string, string, number, number, string[]?]>;
  sweep(keys: string[], args: Args): Promise<number>;
  countMatches(keys: string[], args: Args): Promise<number[]>;
}

const SCRIPTS = {
  dbCreate: CREATE,
  dbTransition: TRANSITION,
  dbAppendLogs: APPEND_LOGS,
  dbSetProgress: SET_PROGRESS,
  dbRequestCancel: REQUEST_CANCEL,
  dbRenewLease: RENEW_LEASE,
  dbExpiredLeases: EXPIRED_LEASES,
  dbFeedHead: FEED_HEAD,
  dbSweep: SWEEP,
  dbCountMatches: COUNT_MATCHES,
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
    renewLease: call('dbRenewLease') as StoreScripts['renewLease'],
    expiredLeases: call('dbExpiredLeases') as unknown as StoreScripts['expiredLeases'],
    feedHead: call('dbFeedHead') as unknown as StoreScripts['feedHead'],
    sweep: call('dbSweep') as StoreScripts['sweep'],
    countMatches: call('dbCountMatches') as unknown as StoreScripts['countMatches'],
  };
}
