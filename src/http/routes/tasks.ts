import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { Identifier } from '../../models/common.js';
import type { AppEnv } from '../env.js';
import { TaskResponse } from '../schemas.js';
import { bearerAuth, commonErrors, jsonContent, notFound } from './openapi-helpers.js';

const getTask = createRoute({
  method: 'get',
  path: '/v1/tasks/{task_id}',
  tags: ['Background tasks'],
  security: bearerAuth,
  summary: 'Read one background task',
  description:
    'Extraction, promotion, enrichment and compaction run from a durable queue; this reports one task: its status ' +
    '(`pending`, `running`, `success`, `failed`), attempts, last error and result. A confined token sees only the ' +
    'tasks of its namespace (and user); any other task is a 404, as if it did not exist.',
  request: { params: z.object({ task_id: Identifier }) },
  responses: { 200: jsonContent(TaskResponse, 'The task'), ...commonErrors, ...notFound },
});

export function taskRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(getTask, async (c) => c.json(await c.get('api').getTask(c.req.valid('param').task_id), 200));
}
