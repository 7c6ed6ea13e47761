/**
 * Lua for the activity stream on Redis. An event is a hash `<base>act:<seq>`; sorted sets scored by seq index it
 * overall (`acts`), per namespace, user and target (`acts:ns:<part>`, `acts:user:<part>`, `acts:target:<id>`),
 * and `acts:time` scores seqs by time for retention. seq comes from one counter in the same script as the writes,
 * so the stream's order is commit order and a reader catching up by seq never misses an event. ARGV[1] is the base.
 */

const COMMON = `
local base = ARGV[1]
local function sets(ns, user, target)
  return { base .. 'acts', base .. 'acts:ns:' .. ns, base .. 'acts:user:' .. user, base .. 'acts:target:' .. target }
end
local function remove(seq)
  local key = base .. 'act:' .. seq
  local f = redis.call('HMGET', key, 'ns', 'user', 'target')
  if not f[1] then return 0 end
  for _, s in ipairs(sets(f[1], f[2], f[3])) do redis.call('ZREM', s, seq) end
  redis.call('ZREM', base .. 'acts:time', seq)
  redis.call('DEL', key)
  return 1
end
`;

/** ARGV: base, then per event: at, action, resource, target, ns part, user part, session part, actor, body. */
export const APPEND_ACTIVITY = `${COMMON}
local n = 0
for i = 2, #ARGV, 9 do
  local seq = redis.call('INCR', base .. 'act:seq')
  local at, target, ns, user = ARGV[i], ARGV[i + 3], ARGV[i + 4], ARGV[i + 5]
  redis.call('HSET', base .. 'act:' .. seq, 'seq', seq, 'at', at, 'action', ARGV[i + 1], 'resource', ARGV[i + 2],
    'target', target, 'ns', ns, 'user', user, 'sid', ARGV[i + 6], 'actor', ARGV[i + 7], 'body', ARGV[i + 8])
  for _, s in ipairs(sets(ns, user, target)) do redis.call('ZADD', s, seq, seq) end
  redis.call('ZADD', base .. 'acts:time', at, seq)
  n = n + 1
end
return n
`;

/** ARGV: base, then seqs. Returns how many existed. */
export const DELETE_ACTIVITY = `${COMMON}
local n = 0
for i = 2, #ARGV do n = n + remove(ARGV[i]) end
return n
`;

/** ARGV: base, before (epoch ms, exclusive), batch size. Returns how many went. */
export const PRUNE_ACTIVITY = `${COMMON}
local seqs = redis.call('ZRANGEBYSCORE', base .. 'acts:time', '-inf', '(' .. ARGV[2], 'LIMIT', 0, tonumber(ARGV[3]))
local n = 0
for _, seq in ipairs(seqs) do n = n + remove(seq) end
return n
`;
