import agentMemoryStats from './agent-memory-stats.js';
import agentStateChanges from './agent-state-changes.js';
import appendMessages from './append-messages.js';
import compactLongTermMemories from './compact-long-term-memories.js';
import createLongTermMemories from './create-long-term-memories.js';
import deleteLongTermMemories from './delete-long-term-memories.js';
import editLongTermMemory from './edit-long-term-memory.js';
import forgetLongTermMemories from './forget-long-term-memories.js';
import forkWorkingMemory from './fork-working-memory.js';
import getAgentMemory from './get-agent-memory.js';
import getCurrentDatetime from './get-current-datetime.js';
import getLongTermMemory from './get-long-term-memory.js';
import getMemoryHistory from './get-memory-history.js';
import getWorkingMemory from './get-working-memory.js';
import maintainAgentMemory from './maintain-agent-memory.js';
import memoryPrompt from './memory-prompt.js';
import memoryStats from './memory-stats.js';
import searchAgentMemories from './search-agent-memories.js';
import searchMemory, { searchLongTermMemory } from './search-memory.js';
import setWorkingMemory from './set-working-memory.js';
import storeAgentAction from './store-agent-action.js';
import storeAgentInteraction from './store-agent-interaction.js';
import storeAgentState from './store-agent-state.js';
import type { MemoryTool } from './types.js';

/** Every MCP tool, in the order clients list them. */
export const TOOLS: MemoryTool[] = [
  createLongTermMemories,
  searchMemory,
  searchLongTermMemory,
  memoryPrompt,
  setWorkingMemory,
  getWorkingMemory,
  appendMessages,
  forkWorkingMemory,
  getLongTermMemory,
  editLongTermMemory,
  deleteLongTermMemories,
  compactLongTermMemories,
  forgetLongTermMemories,
  getMemoryHistory,
  memoryStats,
  getCurrentDatetime,
  storeAgentState,
  storeAgentAction,
  storeAgentInteraction,
  searchAgentMemories,
  getAgentMemory,
  agentMemoryStats,
  agentStateChanges,
  maintainAgentMemory,
] as unknown as MemoryTool[];
