import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Identity } from '../../auth/identity.js';
import { MAX_QUERY_CACHE_TTL_SECONDS, type QueryCache } from '../../core/query-cache.js';
import { MemoryError } from '../../errors.js';
import { strictBody } from '../../models/common.js';
import type { AppEnv } from '../env.js';
import { bearerAuth, commonErrors, jsonBody, jsonContent } from './openapi-helpers.js';

const tags = ['Query cache'];
const PATH = '/v1/query-cache';

const QueryCacheStats = z
  .object({
    enabled: z.boolean(),
    ttl_seconds: z.number().int(),
    max_entries: z.number().int(),
    entries: z.number().int(),
    hits: z.number().int(),
    misses: z.number().int(),
    invalidated: z.number().int().meta({ description: 'Answers dropped because a memory was written since.' }),
    expired: z.number().int(),
    evicted: z.number().int(),
  })
  .meta({ id: 'QueryCacheStats' });

const TtlBody = strictBody({
  ttl_seconds: z
    .number({ message: 'expected a whole number of seconds' })
    .int('expected a whole number of seconds')
    .min(0, 'must be 0 (off) or more')
    .max(MAX_QUERY_CACHE_TTL_SECONDS, `must be at most ${MAX_QUERY_CACHE_TTL_SECONDS} (a day)`)
    .meta({ example: 60, description: 'How long an answer is kept; 0 turns the cache off and empties it.' }),
}).meta({ id: 'QueryCacheTtl' });

const ADMIN_ONLY =
  'Needs an admin token that is not confined to a namespace (the cache serves every caller of this process).';

const getStats = createRoute({
  method: 'get',
  path: PATH,
  tags,
  security: bearerAuth,
  summary: "The search query cache's settings and counters (this process)",
  description: ADMIN_ONLY,
  responses: { 200: jsonContent(QueryCacheStats, 'Settings, entries, hits and misses since start'), ...commonErrors },
});

const clear = createRoute({
  method: 'delete',
  path: PATH,
  tags,
  security: bearerAuth,
  summary: 'Empty the search query cache (this process)',
  description: `Never needed for correctness: any memory write, by any process, already invalidates it. ${ADMIN_ONLY}`,
  responses: {
    200: jsonContent(
      z.object({ status: z.string(), cleared: z.number().int() }).meta({ id: 'QueryCacheCleared' }),
      '"ok, cleared N cached answers"',
    ),
    ...commonErrors,
  },
});

const setTtl = createRoute({
  method: 'put',
  path: PATH,
  tags,
  security: bearerAuth,
  summary: 'Set the TTL of the search query cache (this process, until restart)',
  description: `Applies to the answers already kept too. QUERY_CACHE_TTL_SECONDS is the value at start. ${ADMIN_ONLY}`,
  request: { body: jsonBody(TtlBody) },
  responses: { 200: jsonContent(QueryCacheStats, 'The cache with its new TTL'), ...commonErrors },
});

/** The cache of this process's engine: store-wide, so only for unconfined admin callers (as /metrics). */
export function queryCacheRoutes(app: OpenAPIHono<AppEnv>, cache: QueryCache): void {
  const requireAdmin = (identity: Identity) => {
    if (identity.access !== 'admin' || identity.namespace !== null) {
      throw new MemoryError(
        'forbidden',
        `${PATH} needs an admin token that is not confined to a namespace: the cache serves every caller.`,
      );
    }
  };
  app.openapi(getStats, (c) => {
    requireAdmin(c.get('identity'));
    return c.json(cache.stats(), 200);
  });
  app.openapi(clear, (c) => {
    requireAdmin(c.get('identity'));
    const cleared = cache.clear();
    return c.json({ status: `ok, cleared ${cleared} cached answer${cleared === 1 ? '' : 's'}`, cleared }, 200);
  });
  app.openapi(setTtl, (c) => {
    requireAdmin(c.get('identity'));
    cache.setTtl(c.req.valid('json').ttl_seconds);
    return c.json(cache.stats(), 200);
  });
}
