import { KEYWORD_STATS_LUA } from './keyword-stats-scripts.js';

/**
 * Lua bumping the memories' write version (MemoryStore.writeVersion), the last key of every memory write script,
 * in the same atomic call as the write. A missing counter starts from the server clock in microseconds, so a
 * store emptied and written again never repeats a version an open process may still hold.
 */
export const WRITE_VERSION_LUA = `
local function bump_write_version(key)
  if redis.call('EXISTS', key) == 0 then
    local t = redis.call('TIME')
    redis.call('SET', key, t[1] .. string.format('%06d', tonumber(t[2])))
  end
  redis.call('INCR', key)
end
`;

/** Bumps the write version alone (KEYS[1]), after a maintenance write that runs no memory write script. */
export const BUMP_WRITE_VERSION = `${WRITE_VERSION_LUA}
bump_write_version(KEYS[1])
return 0
`;

/**
 * Lua for long-term memory writes. One script call per batch keeps the batch atomic (SQLite's one transaction):
 * dimension checks run over every item before anything is written, dedup sees items written earlier in the
 * batch, a running re-embed (meta `pending_generation`) is told about every memory written meanwhile, and the
 * keyword statistics (keyword-stats-scripts.ts) change with the memories they count.
 */

/**
 * KEYS: 1 meta, 2 insertion counter, 3 re-embed todo set, 4-6 keyword docs, df and totals, then per item its
 * memory key and dedup set, and last the write version.
 * ARGV: deduplicate ('1'/'0'), item count, then per item: id, vector length, has vector ('1'/'0'), vector bytes,
 * keyword statistics entry, field count, then field/value pairs.
 * Returns per item { status, existing_id }. Errors: 'NOGENERATION', 'DIMENSION <stored> <given>'.
 */
export const PUT_MEMORIES = `${KEYWORD_STATS_LUA}${WRITE_VERSION_LUA}
local gen = redis.call('HGET', KEYS[1], 'vector_generation')
local dim = redis.call('HGET', KEYS[1], 'vector_dimension')
if not gen then return redis.error_reply('NOGENERATION') end
local pending = redis.call('HGET', KEYS[1], 'pending_generation')
local vfield = 'v' .. gen
local n = tonumber(ARGV[2])

local items = {}
local a = 3
for i = 1, n do
  local it = { id = ARGV[a], len = tonumber(ARGV[a + 1]), hasvec = ARGV[a + 2] == '1', vec = ARGV[a + 3] }
  it.entry = ARGV[a + 4]
  local nf = tonumber(ARGV[a + 5])
  it.fields = a + 6
  it.nf = nf
  a = a + 6 + nf * 2
  if it.len ~= tonumber(dim) then return redis.error_reply('DIMENSION ' .. dim .. ' ' .. it.len) end
  items[i] = it
end

local out = {}
for i, it in ipairs(items) do
  local key = KEYS[5 + i * 2]
  local dupkey = KEYS[6 + i * 2]
  local status = 'created'
  local existing = ''
  local seq
  if redis.call('EXISTS', key) == 1 then
    status = 'updated'
    seq = redis.call('HGET', key, 'seq')
    local olddup = redis.call('HGET', key, '_dup')
    if olddup and olddup ~= dupkey then redis.call('ZREM', olddup, it.id) end
    -- Optional fields the new version lacks (and the old vector, when the new one is a zero vector).
    local present = {}
    for f = it.fields, it.fields + it.nf * 2 - 1, 2 do present[ARGV[f]] = true end
    if it.hasvec then present[vfield] = true end
    for _, f in ipairs({ 'topics', 'entities', 'event_date', vfield, 'agent_id', 'step_number', 'memory_tier', 'tier_step', 'loc_kind', 'loc_x', 'loc_y' }) do
      if not present[f] and redis.call('HEXISTS', key, f) == 1 then redis.call('HDEL', key, f) end
    end
    -- Attribute fields (a_…) of declared paths the new version no longer has.
    for _, f in ipairs(redis.call('HKEYS', key)) do
      if string.sub(f, 1, 2) == 'a_' and not present[f] then redis.call('HDEL', key, f) end
    end
  elseif ARGV[1] == '1' then
    local first = redis.call('ZRANGE', dupkey, 0, 0)
    if #first > 0 then
      status = 'duplicate'
      existing = first[1]
    end
  end
  if status ~= 'duplicate' then
    if not seq then seq = redis.call('INCR', KEYS[2]) end
    local rev = (tonumber(redis.call('HGET', key, 'rev')) or 0) + 1
    -- One HSET: the search module re-indexes the whole document on every command that changes the hash.
    local args = { 'seq', seq, '_dup', dupkey, 'rev', rev }
    for f = it.fields, it.fields + it.nf * 2 - 1 do args[#args + 1] = ARGV[f] end
    if it.hasvec then
      args[#args + 1] = vfield
      args[#args + 1] = it.vec
    end
    redis.call('HSET', key, unpack(args))
    redis.call('ZADD', dupkey, seq, it.id)
    kw_uncount(KEYS[4], KEYS[5], KEYS[6], it.id)
    kw_count(KEYS[4], KEYS[5], KEYS[6], it.id, it.entry)
    if pending then
      redis.call('HDEL', key, 'v' .. pending)
      redis.call('SADD', KEYS[3], it.id)
    end
  end
  out[i] = { status, existing }
end
for _, o in ipairs(out) do
  if o[1] ~= 'duplicate' then
    bump_write_version(KEYS[#KEYS])
    break
  end
end
return out
`;

/**
 * KEYS: 1 re-embed todo set, 2-4 keyword docs, df and totals, then memory keys, and last the write version.
 * ARGV: the ids. Returns how many existed.
 */
export const DELETE_MEMORIES = `${KEYWORD_STATS_LUA}${WRITE_VERSION_LUA}
local n = 0
for i = 5, #KEYS - 1 do
  local id = ARGV[i - 4]
  local dup = redis.call('HGET', KEYS[i], '_dup')
  if dup then
    redis.call('ZREM', dup, id)
    redis.call('DEL', KEYS[i])
    redis.call('SREM', KEYS[1], id)
    kw_uncount(KEYS[2], KEYS[3], KEYS[4], id)
    n = n + 1
  end
end
if n > 0 then bump_write_version(KEYS[#KEYS]) end
return n
`;

/** KEYS: memory keys. ARGV: the time in epoch ms. Unknown ids are skipped. */
export const RECORD_ACCESS = `
for i = 1, #KEYS do
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HINCRBY', KEYS[i], 'access_count', 1)
    redis.call('HSET', KEYS[i], 'last_accessed', ARGV[1])
  end
end
return 0
`;

/**
 * KEYS: 1-3 keyword docs, df and totals, then memory keys, and last the write version. ARGV: id, terms, context
 * and keyword statistics entry per memory key. Unknown ids are skipped.
 */
export const SET_INDEX_TERMS = `${KEYWORD_STATS_LUA}${WRITE_VERSION_LUA}
local written = false
for i = 4, #KEYS - 1 do
  local a = (i - 4) * 4
  if redis.call('EXISTS', KEYS[i]) == 1 then
    redis.call('HSET', KEYS[i], 'terms', ARGV[a + 2], 'context', ARGV[a + 3])
    kw_uncount(KEYS[1], KEYS[2], KEYS[3], ARGV[a + 1])
    kw_count(KEYS[1], KEYS[2], KEYS[3], ARGV[a + 1], ARGV[a + 4])
    written = true
  end
end
if written then bump_write_version(KEYS[#KEYS]) end
return 0
`;
