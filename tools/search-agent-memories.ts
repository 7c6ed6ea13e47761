import { AgentFilterShape } from '../src/models/filters.js';
import { MemoryRecordResults } from '../src/models/memory-record.js';
import { SearchRequest } from '../src/models/search.js';
import { withDefaultScope } from './shared.js';
import { defineTool } from './types.js';

const S = SearchRequest.shape;

/**
 * Retrieval of agent memories: by similarity (text), step range, place (circle or box), type, importance and
 * declared attributes, alone or combined, with a true total; without text, a listing ordered by `order_by`.
 */
export default defineTool({
  name: 'search_agent_memories',
  title: 'Search agent memories',
  description:
    'Finds the states, actions and interactions agents stored: give agent_id and any of text (similar ' +
    'memories), step_number {"between": [100, 200]}, location {"within": {"x": 10, "y": 20, "radius": 5}}, ' +
    'memory_type {"eq": "state"}, importance {"gte": 0.5}, attributes {"content.health": {"lt": 0.3}} (declared ' +
    'paths only), memory_tiers ["stm", "im"]. Without text, order_by step_number gives the latest first (recent ' +
    'states). Totals are exact. IM and LTM results carry compressed content: get_agent_memory reads one in full.',
  input: {
    text: S.text,
    ...AgentFilterShape,
    memory_type: S.memory_type,
    importance: S.importance,
    namespace: S.namespace,
    user_id: S.user_id,
    created_at: S.created_at,
    search_mode: S.search_mode,
    distance_threshold: S.distance_threshold,
    order_by: S.order_by,
    limit: S.limit,
    offset: S.offset,
  },
  output: MemoryRecordResults.shape,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    // Recency re-ranking is for conversations: agent memories rank by relevance (then importance) alone.
    return ctx.engine.longTerm.search({ ...withDefaultScope(args, ctx), recency_boost: false });
  },
});
