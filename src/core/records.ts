import { invalid } from '../errors.js';
import { isAgentMemoryType } from '../models/agent.js';
import { isoOf, toEpochMs } from '../models/common.js';
import type { MemoryRecord, MemoryRecordParsed } from '../models/memory-record.js';
import { ulid } from '../util/ulid.js';
import { agentFieldsOf, recordHash } from './agent-records.js';

export interface RecordDefaults {
  namespace?: string | null;
  user_id?: string | null;
  session_id?: string | null;
}

const iso = (v: string | number | null | undefined, fallback: string | null) => {
  if (v === null || v === undefined) return fallback;
  const ms = toEpochMs(v);
  return ms === null ? fallback : isoOf(ms);
};

/** Checks what zod cannot know: the configured size limit. */
export function checkTextSize(text: string, maxBytes: number, where: string): void {
  const bytes = Buffer.byteLength(text, 'utf8');
  if (bytes > maxBytes) {
    throw invalid(
      `${where}: text is ${bytes} bytes; the limit is ${maxBytes} (MAX_TEXT_BYTES). Split it into smaller memories.`,
    );
  }
}

/** Builds the stored form of a validated input; `existing` keeps the history of an overwritten id. */
export function buildRecord(
  input: MemoryRecordParsed,
  now: number,
  defaults: RecordDefaults = {},
  existing?: MemoryRecord,
): MemoryRecord {
  const nowIso = isoOf(now);
  const base = {
    text: input.text.trim(),
    namespace: input.namespace ?? defaults.namespace ?? null,
    user_id: input.user_id ?? defaults.user_id ?? null,
    session_id: input.session_id ?? defaults.session_id ?? null,
    memory_type: input.memory_type,
  };
  const agent = agentFieldsOf(input);
  return {
    id: input.id ?? ulid(now),
    ...base,
    topics: [...new Set(input.topics ?? [])],
    entities: [...new Set(input.entities ?? [])],
    event_date: iso(input.event_date, null),
    created_at: iso(input.created_at, existing?.created_at ?? nowIso) as string,
    updated_at: nowIso,
    last_accessed: iso(input.last_accessed, existing?.last_accessed ?? nowIso) as string,
    access_count: existing?.access_count ?? 0,
    pinned: input.pinned,
    importance: input.importance ?? existing?.importance ?? 0.5,
    memory_hash: recordHash(base, agent),
    discrete_memory_extracted: input.discrete_memory_extracted ?? 'f',
    extraction_strategy: input.extraction_strategy ?? 'discrete',
    extraction_strategy_config: input.extraction_strategy_config ?? {},
    extracted_from: input.extracted_from ?? [],
    persisted_at: nowIso,
    metadata: input.metadata ?? {},
    ...agent,
    // Every write of an agent memory is full detail: it enters (or returns to) STM, counted from its own step.
    ...(isAgentMemoryType(input.memory_type) ? { memory_tier: 'stm' as const, tier_step: input.step_number ?? 0 } : {}),
  };
}
