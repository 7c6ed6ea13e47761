import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { MemoryError } from '../../errors.js';
import { Identifier } from '../../models/common.js';
import type { AppEnv } from '../env.js';
import { HealthResponse, StatsResponse } from '../schemas.js';
import type { StatsSource } from '../stats.js';
import { bearerAuth, commonErrors, jsonContent } from './openapi-helpers.js';

const health = createRoute({
  method: 'get',
  path: '/v1/health',
  tags: ['System'],
  summary: 'Liveness check (no auth)',
  responses: { 200: jsonContent(HealthResponse, 'The server is up') },
});

const stats = createRoute({
  method: 'get',
  path: '/v1/stats',
  tags: ['System'],
  security: bearerAuth,
  summary: 'Counts of memories and sessions',
  description:
    "Counts in the caller's namespace. Admin tokens may name any namespace, or none for the whole store; other " +
    'tokens only their own.',
  request: { query: z.object({ namespace: Identifier.optional() }) },
  responses: { 200: jsonContent(StatsResponse, 'Counts'), ...commonErrors },
});

export function systemRoutes(app: OpenAPIHono<AppEnv>, source: StatsSource): void {
  app.openapi(health, (c) => c.json({ now: Date.now() }, 200));

  app.openapi(stats, async (c) => {
    const identity = c.get('identity');
    const asked = c.req.valid('query').namespace ?? null;
    let namespace = asked;
    if (identity.access !== 'admin') {
      if (asked !== null && asked !== identity.namespace) {
        throw new MemoryError('forbidden', `namespace: this token is confined to namespace "${identity.namespace}".`);
      }
      namespace = identity.namespace;
    }
    return c.json(await source.stats(namespace, identity.user_id ?? null), 200);
  });
}
