import type { MemoryRecord, MemoryRecordParsed } from '../models/memory-record.js';
import { memoryHash, sha256 } from '../util/hash.js';

type AgentFields = Pick<MemoryRecord, 'agent_id' | 'step_number' | 'location' | 'content'>;

/** The agent fields of an input, only those given (records of other memories carry none). */
export function agentFieldsOf(input: MemoryRecordParsed): AgentFields {
  const out: AgentFields = {};
  if (input.agent_id != null) out.agent_id = input.agent_id;
  if (input.step_number != null) out.step_number = input.step_number;
  if (input.location != null) out.location = input.location;
  if (input.content != null) out.content = input.content;
  return out;
}

/**
 * The memory hash: the reference server's identity fields, and for agent memories also the agent, step, place and
 * content, so two states of one agent with the same text at different steps are two memories, never duplicates.
 */
export function recordHash(
  base: {
    text: string;
    user_id: string | null;
    session_id: string | null;
    namespace: string | null;
    memory_type: string;
  },
  agent: AgentFields,
): string {
  const plain = memoryHash(base);
  if (Object.keys(agent).length === 0) return plain;
  return sha256(
    JSON.stringify([
      plain,
      agent.agent_id ?? '',
      agent.step_number ?? null,
      agent.location ?? null,
      agent.content ?? null,
    ]),
  );
}

const MAX_TEXT_CHARS = 4000;

function flatten(value: unknown, prefix: string, out: string[]): void {
  if (out.length > 200) return;
  if (value === null || value === undefined) return;
  if (Array.isArray(value)) {
    if (value.every((v) => v === null || typeof v !== 'object')) {
      out.push(`${prefix} ${value.map(String).join(' ')}`.trim());
      return;
    }
    for (const [i, v] of value.entries()) flatten(v, prefix ? `${prefix} ${i}` : String(i), out);
    return;
  }
  if (typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
      flatten(v, prefix ? `${prefix} ${k.replace(/_/g, ' ')}` : k.replace(/_/g, ' '), out);
    }
    return;
  }
  out.push(`${prefix} ${String(value)}`.trim());
}

/**
 * The searchable text of an agent memory that gave none: its type, agent and step, then each content value with
 * its key path in words ("agent a1 state at step 12: position 10 20; health 0.85; inventory wood 5").
 */
export function textFromContent(type: string, agent: AgentFields): string {
  const parts: string[] = [];
  flatten(agent.content ?? {}, '', parts);
  const head = [
    agent.agent_id ? `agent ${agent.agent_id}` : null,
    type,
    agent.step_number !== undefined ? `at step ${agent.step_number}` : null,
  ]
    .filter(Boolean)
    .join(' ');
  const text = parts.length ? `${head}: ${parts.join('; ')}` : head;
  return text.length > MAX_TEXT_CHARS ? text.slice(0, MAX_TEXT_CHARS) : text;
}
