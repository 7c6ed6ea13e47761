/**
 * Lua keeping the keyword statistics (keyword-stats.ts) in step with the memories, inside the same script call as
 * each write, so a search never sees a memory counted twice or a deleted one still counted.
 *
 * The invariant: the totals and document frequencies are the sum over exactly the memories that have an entry in
 * the docs hash. An entry is `<token count> <distinct token> <distinct token> …` (tokens never hold a space),
 * written by the process from its own tokenizer (bm25.ts), so Lua only splits on spaces.
 */

/** Prepended to every script that writes memories. kw_docs, kw_df and kw_totals are key names. */
export const KEYWORD_STATS_LUA = `
local function kw_uncount(kw_docs, kw_df, kw_totals, id)
  local entry = redis.call('HGET', kw_docs, id)
  if not entry then return end
  local n
  for w in string.gmatch(entry, '[^ ]+') do
    if n == nil then
      n = tonumber(w)
    elseif redis.call('HINCRBY', kw_df, w, -1) <= 0 then
      redis.call('HDEL', kw_df, w)
    end
  end
  redis.call('HDEL', kw_docs, id)
  redis.call('HINCRBY', kw_totals, 'rows', -1)
  -- Not -n: Lua writes minus zero as '-0', which HINCRBY refuses.
  redis.call('HINCRBY', kw_totals, 'tokens', 0 - n)
end

local function kw_count(kw_docs, kw_df, kw_totals, id, entry)
  local n
  for w in string.gmatch(entry, '[^ ]+') do
    if n == nil then n = tonumber(w) else redis.call('HINCRBY', kw_df, w, 1) end
  end
  redis.call('HSET', kw_docs, id, entry)
  redis.call('HINCRBY', kw_totals, 'rows', 1)
  redis.call('HINCRBY', kw_totals, 'tokens', n)
end
`;

/**
 * Counts memories written before the statistics existed. KEYS: 1 docs, 2 df, 3 totals, then memory keys.
 * ARGV: id and entry per memory key. A memory already counted (any write since counts it) or gone is skipped,
 * so builders racing each other or a writer never count one twice. Returns how many it counted.
 */
export const COUNT_UNCOUNTED = `${KEYWORD_STATS_LUA}
local counted = 0
for i = 4, #KEYS do
  local id = ARGV[(i - 4) * 2 + 1]
  if redis.call('EXISTS', KEYS[i]) == 1 and redis.call('HEXISTS', KEYS[1], id) == 0 then
    kw_count(KEYS[1], KEYS[2], KEYS[3], id, ARGV[(i - 4) * 2 + 2])
    counted = counted + 1
  end
end
return counted
`;

/**
 * KEYS: 1 meta, 2 lock. ARGV: 1 lock token, 2 statistics version. Marks the statistics complete, if the caller
 * still holds the lock (a builder that lost it leaves the mark to the one that took over).
 */
export const MARK_COUNTED = `
if redis.call('GET', KEYS[2]) ~= ARGV[1] then return 0 end
redis.call('HSET', KEYS[1], 'keyword_stats', ARGV[2])
redis.call('DEL', KEYS[2])
return 1
`;

/** KEYS: 1 lock. ARGV: 1 token, 2 ms. Extends the lock if the caller holds it; 0 when it was lost. */
export const RENEW_LOCK = `
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return 0 end
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1
`;

/**
 * KEYS: 1 meta, 2 docs, 3 df, 4 totals, 5 lock. Forgets every count at once (a rebuild then counts every memory
 * again), and the lock with them: a builder that was running has counted keys now forgotten, so it must not mark
 * the statistics complete.
 */
export const RESET_STATS = `
redis.call('HDEL', KEYS[1], 'keyword_stats')
redis.call('DEL', KEYS[2], KEYS[3], KEYS[4], KEYS[5])
return 1
`;
