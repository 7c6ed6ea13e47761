import { agentStoreTool } from './agent-store.js';

/** store_agent_interaction: one interaction of an agent at a step (tools/agent-store.ts holds the shared shape). */
export default agentStoreTool('interaction');
