import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';
import { HealthResponse } from '../schemas.js';
import { jsonContent } from './openapi-helpers.js';

const health = createRoute({
  method: 'get',
  path: '/v1/health',
  tags: ['System'],
  summary: 'Liveness check (no auth)',
  responses: { 200: jsonContent(HealthResponse, 'The server is up') },
});

export function systemRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(health, (c) => c.json({ now: Date.now() }, 200));
}
