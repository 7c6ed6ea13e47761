import { z } from 'zod';
import { storeAgentMemories } from '../src/core/agent-memory.js';
import { describeZodIssues, invalid } from '../src/errors.js';
import { type AgentMemoryType, AgentRecordInput, AgentRecordShape, AgentStoreResult } from '../src/models/agent.js';
import { Identifier } from '../src/models/common.js';
import { defineTool } from './types.js';

const WHAT: Record<AgentMemoryType, { noun: string; example: string }> = {
  state: { noun: 'state', example: '{"position": [10, 20], "health": 0.85, "inventory": {"wood": 5}}' },
  action: { noun: 'action', example: '{"action_type": "trade", "target_agent": "a2", "outcome": "accepted"}' },
  interaction: {
    noun: 'interaction',
    example: '{"interaction_type": "conversation", "other_agent_id": "a3", "sentiment": 0.6}',
  },
};

/** store_agent_state / store_agent_action / store_agent_interaction: one shape, three kinds (one file each). */
export function agentStoreTool(kind: AgentMemoryType) {
  const { noun, example } = WHAT[kind];
  return defineTool({
    name: `store_agent_${kind}`,
    title: `Store an agent ${noun}`,
    description:
      `Stores one ${noun} of an agent at a simulation step, e.g. content ${example}. Give the step, and where it ` +
      'happened ({x, y} or {lat, lon}) when it has a place; importance (or priority) 0–1 ranks it. The searchable ' +
      'text is derived from content unless given. Searchable when the call returns (search_agent_memories).',
    input: { agent_id: Identifier.describe('The agent.'), ...AgentRecordShape },
    output: AgentStoreResult.shape,
    annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
    async run({ agent_id, ...rest }, ctx) {
      const parsed = AgentRecordInput.safeParse(rest);
      if (!parsed.success) throw invalid(describeZodIssues(parsed.error.issues));
      return storeAgentMemories(ctx.engine.longTerm, [{ kind, agent_id, record: parsed.data }], {
        namespace: ctx.defaults.namespace,
        user_id: ctx.defaults.user_id,
      });
    },
  });
}

export const AgentStoreOutput = z.object(AgentStoreResult.shape);
