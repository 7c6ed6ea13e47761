import { agentStoreTool } from './agent-store.js';

/** store_agent_state: one state of an agent at a step (tools/agent-store.ts holds the shared shape). */
export default agentStoreTool('state');
