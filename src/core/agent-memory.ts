import { invalid } from '../errors.js';
import { type AgentMemoryType, type AgentRecordParsed, AgentStoreResult, type MemoryTier } from '../models/agent.js';
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

type Search = Pick<LongTermMemory, 'search'>;
type SearchAndSize = Pick<LongTermMemory, 'search' | 'contentBytes'>;

/** The value at a dotted path of a record (`content.health`, `metadata.role`, `content.position.0`). */
function valueAt(record: Record<string, unknown>, path: string): unknown {
  let v: unknown = record;
  for (const k of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/**
 * Statistics of one agent: totals and the distribution by type are counts the store makes (true totals, no rows
 * read), the step range is the first row of two ordered listings.
 */
export async function agentStats(longTerm: SearchAndSize, agentId: string, scope: { namespace?: string } = {}) {
  const filter = { agent_id: { eq: agentId }, ...(scope.namespace ? { namespace: { eq: scope.namespace } } : {}) };
  const base = { text: '', ...filter };
  const count = async (memory_type?: string, tier?: MemoryTier) =>
    (
      await longTerm.search(
        {
          ...base,
          ...(memory_type ? { memory_type: { eq: memory_type } } : {}),
          ...(tier ? { memory_tiers: [tier] } : {}),
          limit: 1,
        },
        { touch: false },
      )
    ).total;
  const [total, state, action, interaction, stm, im, ltm] = await Promise.all([
    count(),
    count('state'),
    count('action'),
    count('interaction'),
    count(undefined, 'stm'),
    count(undefined, 'im'),
    count(undefined, 'ltm'),
  ]);
  const edge = async (order_by: 'step_number' | 'step_number_asc') =>
    (await longTerm.search({ ...base, step_number: { gte: 0 }, order_by, limit: 1 }, { touch: false })).memories[0]
      ?.step_number ?? null;
  const [first_step, last_step, content_bytes] = await Promise.all([
    edge('step_number_asc'),
    edge('step_number'),
    longTerm.contentBytes(filter),
  ]);
  return {
    agent_id: agentId,
    total_memories: total,
    memory_type_distribution: { state, action, interaction, other: total - state - action - interaction },
    memory_tier_distribution: { stm, im, ltm },
    first_step,
    last_step,
    content_bytes,
  };
}

export interface AttributeChange {
  step_number: number;
  memory_id: string;
  from: unknown;
  to: unknown;
}

const PAGE = 100;
/** A change report reads at most this many states; a longer range is refused, naming the limit. */
export const MAX_CHANGE_STATES = 20_000;

/**
 * How one attribute of an agent changed over a step range: its states, oldest step first, are compared one with
 * the next (the store selects and orders them; only the range's states are read), and each change of value is
 * reported with the step and the state it appeared in.
 */
export async function attributeChanges(
  longTerm: Search,
  agentId: string,
  attribute: string,
  range: { start_step?: number; end_step?: number; namespace?: string },
) {
  if (range.start_step !== undefined && range.end_step !== undefined && range.start_step > range.end_step) {
    throw invalid('start_step must not be above end_step');
  }
  const step = {
    ...(range.start_step !== undefined ? { gte: range.start_step } : { gte: 0 }),
    ...(range.end_step !== undefined ? { lte: range.end_step } : {}),
  };
  const request = {
    text: '',
    agent_id: { eq: agentId },
    memory_type: { eq: 'state' },
    step_number: step,
    ...(range.namespace ? { namespace: { eq: range.namespace } } : {}),
    order_by: 'step_number_asc' as const,
    limit: PAGE,
  };
  const first = await longTerm.search({ ...request, offset: 0 }, { touch: false });
  if (first.total > MAX_CHANGE_STATES) {
    throw invalid(
      `the range holds ${first.total} states; at most ${MAX_CHANGE_STATES} are compared: give a narrower start_step/end_step`,
    );
  }
  const changes: AttributeChange[] = [];
  let previous: { value: string | undefined; raw: unknown } | null = null;
  let read = 0;
  for (let offset = 0, page = first; ; ) {
    for (const m of page.memories) {
      read += 1;
      const raw = valueAt(m as unknown as Record<string, unknown>, attribute);
      const value = raw === undefined ? undefined : JSON.stringify(raw);
      if (previous && previous.value !== value) {
        changes.push({ step_number: m.step_number ?? 0, memory_id: m.id, from: previous.raw ?? null, to: raw ?? null });
      }
      previous = { value, raw };
    }
    offset += PAGE;
    if (offset >= first.total || page.memories.length === 0) break;
    page = await longTerm.search({ ...request, offset }, { touch: false });
  }
  return { agent_id: agentId, attribute, states_compared: read, changes };
}
