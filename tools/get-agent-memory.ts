import { Identifier } from '../src/models/common.js';
import { MemoryRecord } from '../src/models/memory-record.js';
import { defineTool } from './types.js';

/** A detailed read: what GET /v1/agent-memory/{agent_id}/memories/{memory_id} answers. */
export default defineTool({
  name: 'get_agent_memory',
  title: 'Read one agent memory in full detail',
  description:
    'Reads one state, action or interaction by id with its full content, also when it is kept compressed in the ' +
    'IM or LTM tier (search results show those with a short text and compressed content). Reading an LTM memory ' +
    'in detail brings it back to IM; an IM memory read often returns to STM.',
  input: { memory_id: Identifier },
  output: MemoryRecord.shape,
  annotations: { readOnlyHint: false, idempotentHint: false, openWorldHint: false },
  async run({ memory_id }, ctx) {
    return ctx.engine.agentTiers.readDetailed(memory_id);
  },
});
