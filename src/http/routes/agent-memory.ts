import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { type AgentItem, agentStats, attributeChanges, storeAgentMemories } from '../../core/agent-memory.js';
import { invalid, notFound } from '../../errors.js';
import {
  AGENT_MEMORY_TYPES,
  AgentBatchRequest as AgentBatchRequestModel,
  type AgentMemoryType,
  AgentRecordInput as AgentRecordInputModel,
  AgentStats as AgentStatsModel,
  AgentStoreResult as AgentStoreResultModel,
  ATTRIBUTE_PATH,
  AttributeChanges as AttributeChangesModel,
  TierMaintenanceReport as TierMaintenanceReportModel,
  TierMaintenanceRequest as TierMaintenanceRequestModel,
} from '../../models/agent.js';
import { Identifier } from '../../models/common.js';
import { SearchRequest as SearchRequestModel } from '../../models/search.js';
import type { AppEnv } from '../env.js';
import { MemoryRecord, MemoryRecordResults, queryInt } from '../schemas.js';
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

const MemoryPath = AgentPath.extend({ memory_id: Identifier });

const detailRoute = createRoute({
  method: 'get',
  path: '/v1/agent-memory/{agent_id}/memories/{memory_id}',
  tags,
  security: bearerAuth,
  summary: 'One agent memory in full detail',
  description:
    'An IM or LTM memory comes back with the full content (and text) its compressed form holds. Reading an LTM ' +
    'memory in detail returns it to IM; an IM memory read AGENT_PROMOTE_READS times returns to STM.',
  request: { params: MemoryPath },
  responses: { 200: jsonContent(MemoryRecord, 'The memory in full detail'), ...commonErrors },
});

const TierMaintenanceRequest = TierMaintenanceRequestModel.meta({ id: 'TierMaintenanceRequest' });
const TierMaintenanceReport = TierMaintenanceReportModel.meta({ id: 'TierMaintenanceReport' });

const maintenanceRoute = createRoute({
  method: 'post',
  path: '/v1/agent-memory/maintenance',
  tags,
  security: bearerAuth,
  summary: 'Run a tier maintenance pass now (the scheduled one runs every AGENT_TIER_MAINTENANCE_EVERY_MINUTES)',
  description:
    'Moves agent memories from STM to IM and from IM to LTM by the count, step and age limits (AGENT_STM_*, ' +
    'AGENT_IM_*). Memories change tier, never disappear: the counts before and after add up to the same total.',
  request: { body: jsonBody(TierMaintenanceRequest) },
  responses: { 200: jsonContent(TierMaintenanceReport, 'What moved'), ...badRequest, ...commonErrors },
});

const AgentStats = AgentStatsModel.meta({ id: 'AgentStats' });

const statsRoute = createRoute({
  method: 'get',
  path: '/v1/agent-memory/{agent_id}/stats',
  tags,
  security: bearerAuth,
  summary: 'Statistics of one agent: totals, distribution by type and by tier, step range',
  request: { params: AgentPath, query: z.object({ namespace: Identifier.optional() }) },
  responses: { 200: jsonContent(AgentStats, 'Counts made by the store'), ...commonErrors },
});

const AttributeChanges = AttributeChangesModel.meta({ id: 'AttributeChanges' });

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
  app.openapi(maintenanceRoute, async (c) => c.json(await c.get('api').agentTiers.maintain(c.req.valid('json')), 200));

  app.openapi(detailRoute, async (c) => {
    const { agent_id, memory_id } = c.req.valid('param');
    const api = c.get('api');
    const record = await api.longTerm.get(memory_id);
    if (record.agent_id !== agent_id) throw notFound(`Agent "${agent_id}" has no memory with id "${memory_id}".`);
    return c.json(await api.agentTiers.readDetailed(memory_id), 200);
  });

  app.openapi(statsRoute, async (c) => {
    const { agent_id } = c.req.valid('param');
    return c.json(await agentStats(c.get('api').longTerm, agent_id, c.req.valid('query')), 200);
  });

  app.openapi(changesRoute, async (c) => {
    const { agent_id } = c.req.valid('param');
    const { attribute, ...range } = c.req.valid('query');
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
