/** `agent-memory/client`: the typed REST client, the memory tools for any model API, and a chat loop with memory. */

export { type ActingAgent, type AgentHooksOptions, changeImportance, withAgentMemory } from './agent-hooks.js';
export { type AgentBatchRecord, AgentMemoryApi } from './agent-memory-api.js';
export type { AgentTool, AgentToolName } from './agent-tools/definitions.js';
export {
  type AnthropicTool,
  type AnthropicToolResult,
  type AnthropicToolUse,
  contentOf,
  type JsonSchema,
  jsonSchemaOf,
  MemoryToolkit,
  type MemoryToolsOptions,
  memoryTools,
  type OpenAITool,
  type OpenAIToolCall,
  type OpenAIToolMessage,
  type ToolOutcome,
} from './agent-tools/toolkit.js';
export { MemoryClient, TasksApi } from './client.js';
export * from './errors.js';
export type { ClientOptionsInput as MemoryClientOptions } from './transport.js';
export type * from './types.js';
export {
  type ChatMessage,
  type Generate,
  type MemoryChat,
  splitSystem,
  type TurnContext,
  type WithMemoryOptions,
  withMemory,
} from './with-memory.js';
