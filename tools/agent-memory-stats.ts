import { agentStats } from '../src/core/agent-memory.js';
import { AgentStats } from '../src/models/agent.js';
import { Identifier } from '../src/models/common.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'agent_memory_stats',
  title: "Statistics of one agent's memories",
  description:
    "Counts of one agent's memories: total, by type (state, action, interaction), by tier (STM, IM, LTM), and the " +
    'first and last step stored.',
  input: { agent_id: Identifier, namespace: Identifier.optional() },
  output: AgentStats.shape,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run({ agent_id, namespace }, ctx) {
    return agentStats(ctx.engine.longTerm, agent_id, { namespace: namespace ?? ctx.defaults.namespace });
  },
});
