import { agentStoreTool } from './agent-store.js';

/** store_agent_action: one action of an agent at a step (tools/agent-store.ts holds the shared shape). */
export default agentStoreTool('action');
