/**
 * Lua for working memory. Each write is one script, so it is atomic for every client of the Redis server: no
 * other command runs between reading the version and writing the messages, ids, indexes and expiry.
 *
 * Write scripts share one KEYS layout:
 *   1 session hash, 2 live message list, 3 message-id set (live and archived), 4 sessions-with-this-id set,
 *   5 all sessions, 6 by namespace, 7 by user, 8 by namespace+user (sorted by updated_at), 9 expiry (by expires_at),
 *   10 archived message list (summarized or trimmed out of the session, kept for export and extraction)
 * Messages are stored as JSON; scripts decode them (cjson) only to read ids and the extraction mark.
 * ARGV[1] is the session suffix, the member of sets 4 to 9.
 * Times come from the Redis clock (TIME), one clock for every server process sharing the store.
 */

const COMMON = `
local function now_ms()
  local t = redis.call('TIME')
  return tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
end

local function index_session(member, updated, expires)
  redis.call('SADD', KEYS[4], member)
  for i = 5, 8 do redis.call('ZADD', KEYS[i], updated, member) end
  if expires then redis.call('ZADD', KEYS[9], expires, member) else redis.call('ZREM', KEYS[9], member) end
end

-- Every key of the session expires together; PERSIST when the session has no ttl.
local function set_expiry(expires)
  for _, i in ipairs({ 1, 2, 3, 10 }) do
    if expires then redis.call('PEXPIREAT', KEYS[i], expires) else redis.call('PERSIST', KEYS[i]) end
  end
end

-- RPUSH in chunks: Lua's unpack has a stack limit.
local function push_all(key, values)
  for i = 1, #values, 1000 do
    redis.call('RPUSH', key, unpack(values, i, math.min(i + 999, #values)))
  end
end

-- Appends id/json pairs from ARGV[start], skipping ids the session has (live or archived). Ids in \`extracted\`
-- keep the server's extraction mark even when the client re-sends them unmarked.
local function append_messages(start, list, extracted)
  local added = 0
  for i = start, #ARGV, 2 do
    if redis.call('SADD', KEYS[3], ARGV[i]) == 1 then
      local json = ARGV[i + 1]
      if extracted and extracted[ARGV[i]] then
        local m = cjson.decode(json)
        m.discrete_memory_extracted = 't'
        json = cjson.encode(m)
      end
      redis.call('RPUSH', list, json)
      added = added + 1
    end
  end
  return added
end

local function read_session(limit)
  local total = redis.call('LLEN', KEYS[2])
  local msgs
  if limit == '' then msgs = redis.call('LRANGE', KEYS[2], 0, -1)
  elseif tonumber(limit) <= 0 then msgs = {}
  else msgs = redis.call('LRANGE', KEYS[2], -tonumber(limit), -1) end
  return { redis.call('HGETALL', KEYS[1]), total, msgs }
end
`;

/** ARGV: member, limit ('' for all), touch ('1'/'0'). Returns nil when the session does not exist (or expired). */
export const READ_SESSION = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
if ARGV[3] == '1' then redis.call('HSET', KEYS[1], 'last_accessed', now_ms()) end
return read_session(ARGV[2])
`;

/**
 * Replaces a session's live messages and fields; archived messages stay. ARGV: member, expected version ('' for
 * none), created_at given ('' for none), ttl seconds ('' for none), has context ('1'/'0'), context, data,
 * memories, tokens, strategy, archived count, then archived id/json pairs (import), then live id/json pairs.
 * Fails with 'CONFLICT <current version>' when the expected version does not match (a missing session is 0).
 */
export const PUT_SESSION = `${COMMON}
local now = now_ms()
local exists = redis.call('EXISTS', KEYS[1]) == 1
local current = 0
if exists then current = tonumber(redis.call('HGET', KEYS[1], 'version')) end
if ARGV[2] ~= '' and tonumber(ARGV[2]) ~= current then
  return redis.error_reply('CONFLICT ' .. current)
end
local created = now
if exists then created = redis.call('HGET', KEYS[1], 'created_at')
elseif ARGV[3] ~= '' then created = ARGV[3] end
-- Drop the live messages (their ids too), remembering which were extracted.
local extracted = {}
if exists then
  for _, json in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
    local m = cjson.decode(json)
    if m.discrete_memory_extracted == 't' then extracted[m.id] = true end
    redis.call('SREM', KEYS[3], m.id)
  end
else
  redis.call('DEL', KEYS[3], KEYS[10])
end
redis.call('DEL', KEYS[1], KEYS[2])
local expires = false
if ARGV[4] ~= '' then expires = now + tonumber(ARGV[4]) * 1000 end
redis.call('HSET', KEYS[1], 'data', ARGV[7], 'memories', ARGV[8], 'tokens', ARGV[9],
  'long_term_memory_strategy', ARGV[10], 'created_at', created, 'updated_at', now, 'last_accessed', now,
  'version', current + 1)
if ARGV[5] == '1' then redis.call('HSET', KEYS[1], 'context', ARGV[6]) end
if expires then redis.call('HSET', KEYS[1], 'ttl_seconds', ARGV[4], 'expires_at', expires) end
local archived_end = 12 + tonumber(ARGV[11]) * 2
for i = 12, archived_end - 1, 2 do
  if redis.call('SADD', KEYS[3], ARGV[i]) == 1 then redis.call('RPUSH', KEYS[10], ARGV[i + 1]) end
end
append_messages(archived_end, KEYS[2], extracted)
set_expiry(expires)
index_session(ARGV[1], now, expires)
return read_session('')
`;

/**
 * Appends, creating the session when missing. ARGV: member, ttl ('keep', 'none' or seconds), window limit
 * ('' for all), then message id/json pairs. A message id already in the session is skipped.
 * Returns the session read back and how many messages were new.
 */
export const APPEND_MESSAGES = `${COMMON}
local now = now_ms()
if redis.call('EXISTS', KEYS[1]) == 0 then
  -- A session that expired left nothing behind (all its keys shared the expiry): start afresh.
  redis.call('DEL', KEYS[2], KEYS[3])
  redis.call('HSET', KEYS[1], 'data', '{}', 'memories', '[]', 'tokens', 0,
    'long_term_memory_strategy', '{"strategy":"discrete","config":{}}', 'created_at', now, 'version', 0)
  redis.call('DEL', KEYS[10])
end
local added = append_messages(4, KEYS[2], nil)
-- An explicit ttl replaces the stored one; otherwise the stored ttl slides forward from this write.
local ttl = ARGV[2]
if ttl == 'keep' then ttl = redis.call('HGET', KEYS[1], 'ttl_seconds') or 'none' end
local expires = false
if ttl ~= 'none' then
  expires = now + tonumber(ttl) * 1000
  redis.call('HSET', KEYS[1], 'ttl_seconds', ttl, 'expires_at', expires)
else
  redis.call('HDEL', KEYS[1], 'ttl_seconds', 'expires_at')
end
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'updated_at', now, 'last_accessed', now)
set_expiry(expires)
index_session(ARGV[1], now, expires)
local out = read_session(ARGV[3])
table.insert(out, added)
return out
`;

/**
 * Applies a summarization: moves the messages with the given ids from the live list to the archived one, sets the
 * context and bumps the version, unless the stored context is no longer the expected one (then returns nil).
 * ARGV: member, has expected context ('1'/'0'), expected context, has context, context, window limit, then ids.
 */
export const ARCHIVE_MESSAGES = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local stored = redis.call('HGET', KEYS[1], 'context')
if ARGV[2] == '1' then
  if stored ~= ARGV[3] then return false end
elseif stored then return false end
local archive = {}
for i = 7, #ARGV do archive[ARGV[i]] = true end
local keep, moved = {}, {}
for _, json in ipairs(redis.call('LRANGE', KEYS[2], 0, -1)) do
  if archive[cjson.decode(json).id] then moved[#moved + 1] = json else keep[#keep + 1] = json end
end
if #moved > 0 then
  redis.call('DEL', KEYS[2])
  push_all(KEYS[2], keep)
  push_all(KEYS[10], moved)
end
local now = now_ms()
if ARGV[4] == '1' then redis.call('HSET', KEYS[1], 'context', ARGV[5]) else redis.call('HDEL', KEYS[1], 'context') end
redis.call('HINCRBY', KEYS[1], 'version', 1)
redis.call('HSET', KEYS[1], 'updated_at', now)
local expires = redis.call('HGET', KEYS[1], 'expires_at')
set_expiry(expires and tonumber(expires))
index_session(ARGV[1], now, expires and tonumber(expires))
return read_session(ARGV[6])
`;

/** Marks messages (live or archived) extracted. ARGV: member, then ids. Returns how many changed. */
export const MARK_EXTRACTED = `${COMMON}
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local ids = {}
for i = 2, #ARGV do ids[ARGV[i]] = true end
local changed = 0
for _, list in ipairs({ KEYS[10], KEYS[2] }) do
  for i, json in ipairs(redis.call('LRANGE', list, 0, -1)) do
    local m = cjson.decode(json)
    if ids[m.id] and m.discrete_memory_extracted ~= 't' then
      m.discrete_memory_extracted = 't'
      redis.call('LSET', list, i - 1, cjson.encode(m))
      changed = changed + 1
    end
  end
end
return changed
`;

/** Archived then live messages, oldest first (export and extraction). ARGV: member. Nil when missing. */
export const READ_ALL_MESSAGES = `
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
return { redis.call('LRANGE', KEYS[10], 0, -1), redis.call('LRANGE', KEYS[2], 0, -1) }
`;

/** Deletes a session and its index entries. ARGV: member. Returns 1 when it existed. */
export const DELETE_SESSION = `
local existed = redis.call('DEL', KEYS[1])
redis.call('DEL', KEYS[2], KEYS[3], KEYS[10])
redis.call('SREM', KEYS[4], ARGV[1])
for i = 5, 9 do redis.call('ZREM', KEYS[i], ARGV[1]) end
return existed
`;

/**
 * Drops sessions that expired from every index set (their own keys Redis has already expired), then pages one
 * sorted set. KEYS: 1 expiry set, 2 the sorted set to list. ARGV: key base, offset, limit.
 * Returns { total, members newest first }.
 */
export const PURGE_AND_LIST = `
local base = ARGV[1]
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local expired = redis.call('ZRANGEBYSCORE', KEYS[1], '-inf', now, 'LIMIT', 0, 1000)
for _, member in ipairs(expired) do
  if redis.call('EXISTS', base .. 's:' .. member) == 0 then
    local ns, user, id = string.match(member, '^([^:]*):([^:]*):(.*)$')
    redis.call('ZREM', KEYS[1], member)
    redis.call('ZREM', base .. 'sessions', member)
    redis.call('ZREM', base .. 'sessions:ns:' .. ns, member)
    redis.call('ZREM', base .. 'sessions:user:' .. user, member)
    redis.call('ZREM', base .. 'sessions:nsuser:' .. ns .. ':' .. user, member)
    redis.call('SREM', base .. 'sid:' .. id, member)
  end
end
if KEYS[2] == nil then return { 0, {} } end
local offset = tonumber(ARGV[2])
local limit = tonumber(ARGV[3])
local members = {}
if limit > 0 then members = redis.call('ZREVRANGE', KEYS[2], offset, offset + limit - 1) end
return { redis.call('ZCARD', KEYS[2]), members }
`;
