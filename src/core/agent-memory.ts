import { type AgentMemoryType, type AgentRecordParsed, AgentStoreResult } from '../models/agent.js';
import type { MemoryRecordInput } from '../models/memory-record.js';
import { textFromContent } from './agent-records.js';
import type { CreateResult, LongTermMemory } from './long-term.js';
import type { RecordDefaults } from './records.js';

/** One agent memory to store: its kind, its agent and the caller's record. */
export interface AgentItem {
  kind: AgentMemoryType;
  agent_id: string;
  record: AgentRecordParsed;
}

/** The long-term memory record of an agent item: the derived text, `priority` as importance. */
export function agentMemoryInput(item: AgentItem): MemoryRecordInput {
  const { priority, importance, text, ...r } = item.record;
  return {
    ...r,
    memory_type: item.kind,
    agent_id: item.agent_id,
    importance: importance ?? priority ?? null,
    text:
      text?.trim() ||
      textFromContent(item.kind, {
        agent_id: item.agent_id,
        step_number: r.step_number,
        content: r.content,
      }),
  };
}

/**
 * Stores agent memories through long-term memory (so confinement, quotas, activity and indexing are the same as
 * for any memory). Equal memories (same agent, step, place, content and text) are stored once.
 */
export async function storeAgentMemories(
  longTerm: Pick<LongTermMemory, 'create'>,
  items: AgentItem[],
  defaults: RecordDefaults = {},
): Promise<AgentStoreResult> {
  const result: CreateResult = await longTerm.create(items.map(agentMemoryInput), { deduplicate: true, defaults });
  const texts = new Map(result.memories.map((m) => [m.id, m.text]));
  return AgentStoreResult.parse({
    status: 'ok',
    memories: result.outcomes.map((o) => {
      const id = o.status === 'duplicate' ? o.existing_id : o.id;
      return { id, outcome: o.status, text: texts.get(id) ?? '' };
    }),
  });
}
