import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../env.js';
import { detail } from '../errors.js';

/**
 * Reference-server routes not served yet (summary views). They answer 501 after auth, so a
 * client learns at once that the call exists but is not served yet, rather than getting a 404 it might retry.
 */
const PENDING: [method: 'get' | 'post' | 'delete', path: string, what: string][] = [
  ['get', '/v1/summary-views', 'Summary views'],
  ['post', '/v1/summary-views', 'Summary views'],
  ['get', '/v1/summary-views/:view_id', 'Summary views'],
  ['delete', '/v1/summary-views/:view_id', 'Summary views'],
  ['get', '/v1/summary-views/:view_id/partitions', 'Summary views'],
  ['post', '/v1/summary-views/:view_id/partitions/run', 'Summary views'],
  ['post', '/v1/summary-views/:view_id/run', 'Summary views'],
];

export function notImplementedRoutes(app: OpenAPIHono<AppEnv>): void {
  for (const [method, path, what] of PENDING) {
    app[method](path, (c) => detail(c, 501, `${what}: not available in this version of agent-memory yet.`));
  }
}
