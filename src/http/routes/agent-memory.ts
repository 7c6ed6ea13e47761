import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AgentItem, agentStats, attributeChanges, storeAgentMemories } from '../../core/agent-memory.js';
import { invalid } from '../../errors.js';
import {
  AGENT_MEMORY_TYPES,
  AgentBatchRequest as AgentBatchRequestModel,
  type AgentMemoryType,
  AgentRecordInput as AgentRecordInputModel,
  AgentStoreResult as AgentStoreResultModel,
  ATTRIBUTE_PATH,
} from '../../models/agent.js';
import { Identifier } from '../../models/common.js';
import { SearchRequest as SearchRequestModel } from '../../models/search.js';
import type { AppEnv } from '../env.js';
import { MemoryRecordResults, queryInt } from '../schemas.js';
import { badRequest, bearerAuth, commonErrors, jsonBody, jsonContent } from './openapi-helpers.js';

const AgentRecordInput = AgentRecordInputModel.meta({ id: 'AgentRecordInput' });
const AgentBatchRequest = AgentBatchRequestModel.meta({ id: 'AgentBatchRequest' });
const AgentStoreResult = AgentStoreResultModel.meta({ id: 'AgentStoreResult' });
const AgentSearchRequest = SearchRequestModel.omit({ agent_id: true }).meta({ id: 'AgentSearchRequest' });

const tags = ['Agent memory'];
const AgentPath = z.object({ agent_id: Identifier.meta({ example: 'agent-7' }) });
const KINDS: Record<string, AgentMemoryType> = { states: 'state', actions: 'action', interactions: 'interaction' };

const storeRoute = (segment: keyof typeof KINDS & string) =>
  createRoute({
    method: 'post',
    path: `/v1/agent-memory/{agent_id}/${segment}`,
    tags,
    security: bearerAuth,
    summary: `Store one ${KINDS[segment]} of an agent`,
    description:
      '`content` is the structured record (JSON); `text`, what search reads, is derived from it when absent. ' +
      'Searchable when the call returns. The same agent, step, place and content stored twice is kept once.',
    request: { params: AgentPath, body: jsonBody(AgentRecordInput) },
    responses: { 200: jsonContent(AgentStoreResult, 'Stored'), ...badRequest, ...commonErrors },
  });

const batchRoute = createRoute({
  method: 'post',
  path: '/v1/agent-memory/batch',
  tags,
  security: bearerAuth,
  summary: 'Store many agent memories (states, actions, interactions of any agents) in one write',
  request: { body: jsonBody(AgentBatchRequest) },
  responses: { 200: jsonContent(AgentStoreResult, 'Stored'), ...badRequest, ...commonErrors },
});

const searchRoute = createRoute({
  method: 'post',
  path: '/v1/agent-memory/{agent_id}/search',
  tags,
  security: bearerAuth,
  summary: "Search one agent's memories",
  description:
    'The long-term search body (text, similarity, every filter) confined to this agent: step_number ranges, ' +
    'location circles and boxes, importance, attributes on declared paths (AGENT_ATTRIBUTE_PATHS), memory_type. ' +
    'Without text, `order_by` orders the listing (importance, step_number, step_number_asc).',
  request: { params: AgentPath, body: jsonBody(AgentSearchRequest) },
  responses: { 200: jsonContent(MemoryRecordResults, 'Results with a true total'), ...badRequest, ...commonErrors },
});

const listRoute = createRoute({
  method: 'get',
  path: '/v1/agent-memory/{agent_id}/memories',
  tags,
  security: bearerAuth,
  summary: "An agent's memories by step range, latest step first",
  request: {
    params: AgentPath,
    query: z.object({
      memory_type: z.enum(AGENT_MEMORY_TYPES).optional(),
      start_step: queryInt(0).optional().meta({ description: 'From this step (included).' }),
      end_step: queryInt(0).optional().meta({ description: 'Up to this step (included).' }),
      order: z.enum(['step_number', 'step_number_asc', 'importance', 'created_at']).default('step_number'),
      namespace: Identifier.optional(),
      limit: queryInt(1, 100).default(20),
      offset: queryInt(0).default(0),
    }),
  },
  responses: { 200: jsonContent(MemoryRecordResults, 'A page with a true total'), ...badRequest, ...commonErrors },
});

const AgentStats = z
  .object({
    agent_id: z.string(),
    total_memories: z.number().int(),
    memory_type_distribution: z.record(z.string(), z.number().int()),
    first_step: z.number().int().nullable(),
    last_step: z.number().int().nullable(),
  })
  .meta({ id: 'AgentStats' });

const statsRoute = createRoute({
  method: 'get',
  path: '/v1/agent-memory/{agent_id}/stats',
  tags,
  security: bearerAuth,
  summary: 'Statistics of one agent: totals, distribution by type, step range',
  request: { params: AgentPath, query: z.object({ namespace: Identifier.optional() }) },
  responses: { 200: jsonContent(AgentStats, 'Counts made by the store'), ...commonErrors },
});

const AttributeChanges = z
  .object({
    agent_id: z.string(),
    attribute: z.string(),
    states_compared: z.number().int(),
    changes: z.array(
      z.object({ step_number: z.number().int(), memory_id: z.string(), from: z.unknown(), to: z.unknown() }),
    ),
  })
  .meta({ id: 'AttributeChanges' });

const changesRoute = createRoute({
  method: 'get',
  path: '/v1/agent-memory/{agent_id}/changes',
  tags,
  security: bearerAuth,
  summary: 'How one attribute of an agent changed over a step range, from its successive states',
  request: {
    params: AgentPath,
    query: z.object({
      attribute: z
        .string()
        .regex(ATTRIBUTE_PATH, 'attribute looks like content.health or metadata.team.name')
        .meta({ example: 'content.health' }),
      start_step: queryInt(0).optional(),
      end_step: queryInt(0).optional(),
      namespace: Identifier.optional(),
    }),
  },
  responses: {
    200: jsonContent(AttributeChanges, 'Each change of value, oldest first'),
    ...badRequest,
    ...commonErrors,
  },
});

export function agentMemoryRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(statsRoute, async (c) => {
    const { agent_id } = c.req.valid('param');
    return c.json(await agentStats(c.get('api').longTerm, agent_id, c.req.valid('query')), 200);
  });

  app.openapi(changesRoute, async (c) => {
    const { agent_id } = c.req.valid('param');
    const { attribute, ...range } = c.req.valid('query');
    if (range.start_step !== undefined && range.end_step !== undefined && range.start_step > range.end_step) {
      throw invalid('start_step must not be above end_step');
    }
    return c.json(await attributeChanges(c.get('api').longTerm, agent_id, attribute, range), 200);
  });

  for (const segment of Object.keys(KINDS)) {
    app.openapi(storeRoute(segment), async (c) => {
      const { agent_id } = c.req.valid('param');
      const item: AgentItem = { kind: KINDS[segment]!, agent_id, record: c.req.valid('json') };
      return c.json(await storeAgentMemories(c.get('api').longTerm, [item]), 200);
    });
  }

  app.openapi(batchRoute, async (c) => {
    const { records } = c.req.valid('json');
    const items = records.map(
      ({ agent_id, memory_type, ...record }): AgentItem => ({
        kind: memory_type,
        agent_id,
        record,
      }),
    );
    return c.json(await storeAgentMemories(c.get('api').longTerm, items), 200);
  });

  app.openapi(searchRoute, async (c) => {
    const { agent_id } = c.req.valid('param');
    return c.json(await c.get('api').longTerm.search({ ...c.req.valid('json'), agent_id: { eq: agent_id } }), 200);
  });

  app.openapi(listRoute, async (c) => {
    const { agent_id } = c.req.valid('param');
    const q = c.req.valid('query');
    if (q.start_step !== undefined && q.end_step !== undefined && q.start_step > q.end_step) {
      throw invalid('start_step must not be above end_step');
    }
    const step = {
      ...(q.start_step !== undefined ? { gte: q.start_step } : {}),
      ...(q.end_step !== undefined ? { lte: q.end_step } : {}),
    };
    return c.json(
      await c.get('api').longTerm.search({
        text: '',
        agent_id: { eq: agent_id },
        ...(q.memory_type ? { memory_type: { eq: q.memory_type } } : {}),
        ...(Object.keys(step).length ? { step_number: step } : {}),
        ...(q.namespace ? { namespace: { eq: q.namespace } } : {}),
        order_by: q.order,
        limit: q.limit,
        offset: q.offset,
      }),
      200,
    );
  });
}
