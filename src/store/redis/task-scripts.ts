/**
 * Lua for the task queue on Redis. A task is a hash `<base>task:<id>` (absent field = null); `<base>tasks:due` is
 * a sorted set of claimable-at times (run_at while pending, lease_until while running), `<base>tasks:finished`
 * one of completion times, `<base>tasks:<status>` sets count tasks per status, and `<base>tasks:key:<key>` points
 * to the one pending task of a dedupe key. ARGV[1] is always the key base; every key shares its hash tag.
 */

const COMMON = `
local base = ARGV[1]
local DUE, FINISHED = base .. 'tasks:due', base .. 'tasks:finished'
local function task_key(id) return base .. 'task:' .. id end
local function status_set(s) return base .. 'tasks:' .. s end
local function ref_key(k) return base .. 'tasks:key:' .. k end

local function move(id, from, to)
  redis.call('SMOVE', status_set(from), status_set(to), id)
  redis.call('HSET', task_key(id), 'status', to)
end

-- The pending task leaves the dedupe slot it held.
local function unref(id)
  local k = redis.call('HGET', task_key(id), 'dedupe_key')
  if k and redis.call('GET', ref_key(k)) == id then redis.call('DEL', ref_key(k)) end
end

local function finish(id, from, to, now)
  local t = task_key(id)
  redis.call('HDEL', t, 'lease_owner', 'lease_until')
  redis.call('HSET', t, 'completed_at', now, 'updated_at', now)
  redis.call('ZREM', DUE, id)
  redis.call('ZADD', FINISHED, now, id)
  move(id, from, to)
end

local function owned(id, owner)
  local t = task_key(id)
  return redis.call('HGET', t, 'status') == 'running' and redis.call('HGET', t, 'lease_owner') == owner
end

-- Back to pending at run_at, unless a newer pending task of the same key exists (it covers this work).
local function requeue(id, run_at, now, error)
  local t = task_key(id)
  local k = redis.call('HGET', t, 'dedupe_key')
  if k then
    local other = redis.call('GET', ref_key(k))
    if other and other ~= id then
      local msg = 'superseded by a newer task'
      if error then msg = error .. ' (superseded by a newer task)' end
      redis.call('HSET', t, 'last_error', msg)
      finish(id, 'running', 'failed', now)
      return
    end
    redis.call('SET', ref_key(k), id)
  end
  redis.call('HDEL', t, 'lease_owner', 'lease_until')
  redis.call('HSET', t, 'run_at', run_at, 'updated_at', now)
  if error then redis.call('HSET', t, 'last_error', error) end
  redis.call('ZADD', DUE, run_at, id)
  move(id, 'running', 'pending')
end
`;

/** ARGV: base, id, kind, payload, dedupe key ('' none), max attempts, run_at, now, on duplicate, id chosen ('1'). */
export const ENQUEUE = `${COMMON}
local id, dedupe, run_at, now = ARGV[2], ARGV[5], tonumber(ARGV[7]), ARGV[8]
-- A client-chosen id (ARGV[10] = '1') that is taken: nothing is written.
if ARGV[10] == '1' and redis.call('EXISTS', task_key(id)) == 1 then return false end
if dedupe ~= '' then
  local existing = redis.call('GET', ref_key(dedupe))
  if existing and redis.call('HGET', task_key(existing), 'status') == 'pending' then
    local t = task_key(existing)
    if ARGV[9] == 'keep' then run_at = math.min(run_at, tonumber(redis.call('HGET', t, 'run_at'))) end
    redis.call('HSET', t, 'run_at', run_at, 'payload', ARGV[4], 'updated_at', now)
    redis.call('ZADD', DUE, run_at, existing)
    return redis.call('HGETALL', t)
  end
  redis.call('SET', ref_key(dedupe), id)
end
local t = task_key(id)
redis.call('HSET', t, 'id', id, 'kind', ARGV[3], 'payload', ARGV[4], 'status', 'pending', 'attempts', 0,
  'max_attempts', ARGV[6], 'run_at', run_at, 'created_at', now, 'updated_at', now)
if dedupe ~= '' then redis.call('HSET', t, 'dedupe_key', dedupe) end
redis.call('ZADD', DUE, run_at, id)
redis.call('SADD', status_set('pending'), id)
return redis.call('HGETALL', t)
`;

/** ARGV: base, owner, lease ms, now. The earliest due task, or nil. */
export const CLAIM = `${COMMON}
local owner, lease, now = ARGV[2], tonumber(ARGV[3]), tonumber(ARGV[4])
while true do
  local first = redis.call('ZRANGEBYSCORE', DUE, '-inf', now, 'LIMIT', 0, 1)
  if #first == 0 then return false end
  local id = first[1]
  local t = task_key(id)
  local status = redis.call('HGET', t, 'status')
  if not status then
    redis.call('ZREM', DUE, id)
  elseif status == 'running' and tonumber(redis.call('HGET', t, 'attempts')) >= tonumber(redis.call('HGET', t, 'max_attempts')) then
    -- Every attempt ended with a dead worker (a crash, or a task that kills its process): stop trying.
    if not redis.call('HGET', t, 'last_error') then
      redis.call('HSET', t, 'last_error', 'the worker stopped before finishing, on every attempt')
    end
    finish(id, 'running', 'failed', now)
  else
    if status == 'pending' then
      unref(id)
      move(id, 'pending', 'running')
    end
    redis.call('HINCRBY', t, 'attempts', 1)
    redis.call('HSET', t, 'lease_owner', owner, 'lease_until', now + lease, 'updated_at', now)
    if not redis.call('HGET', t, 'started_at') then redis.call('HSET', t, 'started_at', now) end
    redis.call('ZADD', DUE, now + lease, id)
    return redis.call('HGETALL', t)
  end
end
`;

/** ARGV: base, id, owner, lease ms, now. */
export const EXTEND_LEASE = `${COMMON}
local id, now = ARGV[2], tonumber(ARGV[5])
if not owned(id, ARGV[3]) then return 0 end
redis.call('HSET', task_key(id), 'lease_until', now + tonumber(ARGV[4]), 'updated_at', now)
redis.call('ZADD', DUE, now + tonumber(ARGV[4]), id)
return 1
`;

/** ARGV: base, id, owner, result json, now. */
export const COMPLETE = `${COMMON}
local id = ARGV[2]
if not owned(id, ARGV[3]) then return 0 end
redis.call('HSET', task_key(id), 'result', ARGV[4])
redis.call('HDEL', task_key(id), 'last_error')
finish(id, 'running', 'success', ARGV[5])
return 1
`;

/** ARGV: base, id, owner, error, retry at ('' fails for good), now. */
export const FAIL = `${COMMON}
local id, now = ARGV[2], ARGV[6]
if not owned(id, ARGV[3]) then return 0 end
if ARGV[5] == '' then
  redis.call('HSET', task_key(id), 'last_error', ARGV[4])
  finish(id, 'running', 'failed', now)
else
  requeue(id, ARGV[5], now, ARGV[4])
end
return 1
`;

/** ARGV: base, id, owner, now. Gives the task back unstarted: pending at once, the attempt not counted. */
export const RELEASE = `${COMMON}
local id, now = ARGV[2], ARGV[4]
if not owned(id, ARGV[3]) then return 0 end
local t = task_key(id)
redis.call('HSET', t, 'attempts', math.max(0, tonumber(redis.call('HGET', t, 'attempts')) - 1))
requeue(id, now, now, nil)
return 1
`;

/** ARGV: base, before. Deletes finished tasks completed before then; returns how many. */
export const PURGE_FINISHED = `${COMMON}
local ids = redis.call('ZRANGEBYSCORE', FINISHED, '-inf', '(' .. ARGV[2])
for _, id in ipairs(ids) do
  redis.call('DEL', task_key(id))
  redis.call('ZREM', FINISHED, id)
  redis.call('SREM', status_set('success'), id)
  redis.call('SREM', status_set('failed'), id)
end
return #ids
`;

/** ARGV: key base, then task ids. Deletes them whatever their state (erasing a user). Returns how many existed. */
export const DELETE_TASKS = `${COMMON}
local n = 0
for i = 2, #ARGV do
  local id = ARGV[i]
  local s = redis.call('HGET', task_key(id), 'status')
  if s then
    if s == 'pending' then unref(id) end
    redis.call('ZREM', DUE, id)
    redis.call('ZREM', FINISHED, id)
    redis.call('SREM', status_set(s), id)
    redis.call('DEL', task_key(id))
    n = n + 1
  end
end
return n
`;
