import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { Identifier } from '../../models/common.js';
import { SummaryViewPartitionQuery } from '../../models/summary-view.js';
import type { AppEnv } from '../env.js';
import {
  AckResponse,
  CreateSummaryViewRequest,
  RunSummaryViewPartitionRequest,
  RunSummaryViewRequest,
  SummaryView,
  SummaryViewPartitionResult,
  TaskResponse,
} from '../schemas.js';
import {
  badRequest,
  bearerAuth,
  commonErrors,
  conflict,
  jsonBody,
  jsonContent,
  notFound,
  unavailable,
} from './openapi-helpers.js';

const tags = ['Summary views'];
const ViewPath = z.object({ view_id: Identifier });
const CONFINED =
  'A confined token sees only views whose filters pin them to its namespace (and user); others are a 404.';

const listViews = createRoute({
  method: 'get',
  path: '/v1/summary-views',
  tags,
  security: bearerAuth,
  summary: 'List summary views',
  description: `Every view, oldest first. ${CONFINED}`,
  responses: { 200: jsonContent(z.array(SummaryView), 'The views'), ...commonErrors },
});

const createView = createRoute({
  method: 'post',
  path: '/v1/summary-views',
  tags,
  security: bearerAuth,
  summary: 'Create a summary view',
  description:
    'A view groups long-term memories by `group_by` (any of user_id, namespace, session_id, memory_type), keeps ' +
    'those its `filters` (search-filter shapes) and `time_window_days` select, and summarizes each group with ' +
    'the LLM when run; `continuous: true` has the server recompute them now and periodically. ' +
    '`source: "working_memory"` is refused with a 400. A confined token ' +
    'creates views pinned to its own namespace (and user); filters naming another are a 403. Needs write access.',
  request: { body: jsonBody(CreateSummaryViewRequest) },
  responses: { 200: jsonContent(SummaryView, 'The new view'), ...badRequest, ...commonErrors, ...unavailable },
});

const getView = createRoute({
  method: 'get',
  path: '/v1/summary-views/{view_id}',
  tags,
  security: bearerAuth,
  summary: 'Read one summary view',
  request: { params: ViewPath },
  responses: { 200: jsonContent(SummaryView, 'The view'), ...commonErrors, ...notFound },
});

const deleteView = createRoute({
  method: 'delete',
  path: '/v1/summary-views/{view_id}',
  tags,
  security: bearerAuth,
  summary: 'Delete a summary view and its stored partition summaries',
  description: 'Answers `{status: "ok"}` also when there was no such view, as the reference server does.',
  request: { params: ViewPath },
  responses: { 200: jsonContent(AckResponse, 'Deleted'), ...commonErrors },
});

const runPartition = createRoute({
  method: 'post',
  path: '/v1/summary-views/{view_id}/partitions/run',
  tags,
  security: bearerAuth,
  summary: 'Summarize one partition now',
  description:
    "`group` gives one value for each of the view's `group_by` fields (other keys are a 400). The partition's " +
    'memories are summarized by the LLM before answering and the result is stored; a partition without memories ' +
    'is `empty: true` with `empty_reason: "no_matching_memories"`, with no LLM call. Without an LLM: 503.',
  request: { params: ViewPath, body: jsonBody(RunSummaryViewPartitionRequest) },
  responses: {
    200: jsonContent(SummaryViewPartitionResult, 'The partition summary'),
    ...badRequest,
    ...commonErrors,
    ...notFound,
    ...unavailable,
  },
});

const listPartitions = createRoute({
  method: 'get',
  path: '/v1/summary-views/{view_id}/partitions',
  tags,
  security: bearerAuth,
  summary: 'List stored partition summaries',
  description: 'What earlier runs stored (nothing is computed), only the groups holding every value given.',
  request: { params: ViewPath, query: SummaryViewPartitionQuery },
  responses: {
    200: jsonContent(z.array(SummaryViewPartitionResult), 'Stored partition summaries'),
    ...commonErrors,
    ...notFound,
  },
});

const runView = createRoute({
  method: 'post',
  path: '/v1/summary-views/{view_id}/run',
  tags,
  security: bearerAuth,
  summary: 'Recompute every partition in the background',
  description:
    'Queues a durable task (`summary_view_full_run`) that summarizes every partition with memories, and recomputes ' +
    'the stored ones (one whose memories are gone becomes empty); poll it at GET /v1/tasks/{task_id}. ' +
    'Without an LLM: 503, and nothing is queued.',
  request: { params: ViewPath, body: jsonBody(RunSummaryViewRequest) },
  responses: {
    200: jsonContent(TaskResponse, 'The queued task'),
    ...badRequest,
    ...commonErrors,
    ...notFound,
    ...conflict,
    ...unavailable,
  },
});

export function summaryViewRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listViews, async (c) => c.json(await c.get('api').summaryViews.list(), 200));
  app.openapi(createView, async (c) => c.json(await c.get('api').summaryViews.create(c.req.valid('json')), 200));
  app.openapi(getView, async (c) => c.json(await c.get('api').summaryViews.get(c.req.valid('param').view_id), 200));
  app.openapi(deleteView, async (c) => {
    await c.get('api').summaryViews.delete(c.req.valid('param').view_id);
    return c.json({ status: 'ok' }, 200);
  });
  app.openapi(runPartition, async (c) => {
    const { view_id } = c.req.valid('param');
    return c.json(await c.get('api').summaryViews.runPartition(view_id, c.req.valid('json')), 200);
  });
  app.openapi(listPartitions, async (c) => {
    const { view_id } = c.req.valid('param');
    return c.json(await c.get('api').summaryViews.partitions(view_id, c.req.valid('query')), 200);
  });
  app.openapi(runView, async (c) => {
    const { view_id } = c.req.valid('param');
    return c.json(await c.get('api').summaryViews.run(view_id, c.req.valid('json')), 200);
  });
}
