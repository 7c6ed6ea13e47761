/** Lua over the store's meta hash (KEYS[1]) for the embedding model and vector generations. */

/** Records the first vector generation with dimension ARGV[1] unless one exists. */
export const INIT_GENERATION = `
if redis.call('HEXISTS', KEYS[1], 'vector_generation') == 1 then return 0 end
local gen = redis.call('HINCRBY', KEYS[1], 'max_generation', 1)
redis.call('HSET', KEYS[1], 'vector_generation', gen, 'vector_dimension', ARGV[1])
return gen
`;

/**
 * ARGV: model, dimension. Returns {'ok'}, {'mismatch', model, dim} when another model is recorded, or
 * {'vectors', dim} when vectors of another dimension exist under no recorded model (the caller decides).
 */
export const ENSURE_MODEL = `
local model = redis.call('HGET', KEYS[1], 'embedding_model')
local dim = redis.call('HGET', KEYS[1], 'embedding_dimension')
if model and dim then
  if model == ARGV[1] and tonumber(dim) == tonumber(ARGV[2]) then return { 'ok' } end
  return { 'mismatch', model, dim }
end
local vdim = redis.call('HGET', KEYS[1], 'vector_dimension')
if vdim and tonumber(vdim) ~= tonumber(ARGV[2]) then return { 'vectors', vdim } end
if not vdim then
  local gen = redis.call('HINCRBY', KEYS[1], 'max_generation', 1)
  redis.call('HSET', KEYS[1], 'vector_generation', gen, 'vector_dimension', ARGV[2])
end
redis.call('HSET', KEYS[1], 'embedding_model', ARGV[1], 'embedding_dimension', ARGV[2])
return { 'ok' }
`;

/** Replaces an empty store's unrecorded generation by one of dimension ARGV[2] and records model ARGV[1]. */
export const REPLACE_EMPTY_GENERATION = `
local gen = redis.call('HINCRBY', KEYS[1], 'max_generation', 1)
redis.call('HSET', KEYS[1], 'vector_generation', gen, 'vector_dimension', ARGV[2],
  'embedding_model', ARGV[1], 'embedding_dimension', ARGV[2])
return gen
`;

/**
 * Starts a re-embed: ARGV dimension. Allocates the next generation and marks it pending, so every memory write
 * from now on drops its vector of that generation and queues its id (PUT_MEMORIES). Returns the generation.
 */
export const BEGIN_REEMBED = `
local gen = redis.call('HINCRBY', KEYS[1], 'max_generation', 1)
redis.call('HSET', KEYS[1], 'pending_generation', gen, 'pending_dimension', ARGV[1])
return gen
`;

/**
 * KEYS: 1 meta, 2 todo set. ARGV: model, dimension, generation. Swaps the new generation in when nothing is left
 * to do (1), else leaves everything as it is (0): the check and the swap are one atomic step.
 */
export const FINISH_REEMBED = `
if redis.call('SCARD', KEYS[2]) > 0 then return 0 end
if redis.call('HGET', KEYS[1], 'pending_generation') ~= ARGV[3] then return redis.error_reply('REEMBED_LOST') end
redis.call('HSET', KEYS[1], 'vector_generation', ARGV[3], 'vector_dimension', ARGV[2],
  'embedding_model', ARGV[1], 'embedding_dimension', ARGV[2])
redis.call('HDEL', KEYS[1], 'pending_generation', 'pending_dimension')
return 1
`;

/** KEYS: 1 meta, 2 todo set. ARGV: generation. Abandons a pending re-embed (if it is still that one). */
export const ABORT_REEMBED = `
if redis.call('HGET', KEYS[1], 'pending_generation') == ARGV[1] then
  redis.call('HDEL', KEYS[1], 'pending_generation', 'pending_dimension')
  redis.call('DEL', KEYS[2])
end
return 0
`;

/**
 * KEYS: memory keys. ARGV: vector field, then per key: expected rev, vector bytes ('' for a zero vector).
 * Writes a re-embedded vector only if the memory was not rewritten since it was read; returns ids not written.
 */
export const WRITE_REEMBEDDED = `
local skipped = {}
for i = 1, #KEYS do
  local rev = redis.call('HGET', KEYS[i], 'rev')
  if rev == ARGV[i * 2] then
    if ARGV[i * 2 + 1] ~= '' then redis.call('HSET', KEYS[i], ARGV[1], ARGV[i * 2 + 1]) end
  elseif rev then
    skipped[#skipped + 1] = KEYS[i]
  end
end
return skipped
`;
