import type { MemoryTier } from '../../models/agent.js';
import type { MemoryRecord } from '../../models/memory-record.js';
import { iso, isoOrNull, json, msOf, msOrNull, parseJson } from './codec.js';

/** The agent columns of a memory row (all null for other memories); shared with the PostgreSQL store. */
export interface AgentRowColumns {
  agent_id: string | null;
  step_number: number | null;
  /** 1: {x, y}; 2: {lat, lon} kept as x = lon, y = lat. */
  loc_kind: number | null;
  loc_x: number | null;
  loc_y: number | null;
  content: string | null;
  memory_tier: string | null;
  tier_step: number | null;
}

export interface MemoryRow extends AgentRowColumns {
  pk: number;
  id: string;
  text: string;
  session_id: string | null;
  user_id: string | null;
  namespace: string | null;
  memory_type: MemoryRecord['memory_type'];
  topics: string;
  entities: string;
  event_date: number | null;
  created_at: number;
  updated_at: number;
  last_accessed: number;
  access_count: number;
  pinned: number;
  importance: number;
  /** A lowercase hex SHA-256 (what the engine computes) as its 32 bytes, anything else as given (storedHash). */
  memory_hash: string | Buffer;
  discrete_memory_extracted: MemoryRecord['discrete_memory_extracted'];
  extraction_strategy: string;
  extraction_strategy_config: string;
  extracted_from: string;
  persisted_at: number | null;
  metadata: string;
}

const COLUMNS = [
  'id',
  'text',
  'session_id',
  'user_id',
  'namespace',
  'memory_type',
  'topics',
  'entities',
  'event_date',
  'created_at',
  'updated_at',
  'last_accessed',
  'access_count',
  'pinned',
  'importance',
  'memory_hash',
  'discrete_memory_extracted',
  'extraction_strategy',
  'extraction_strategy_config',
  'extracted_from',
  'persisted_at',
  'metadata',
  'agent_id',
  'step_number',
  'loc_kind',
  'loc_x',
  'loc_y',
  'content',
  'memory_tier',
  'tier_step',
] as const;

export const INSERT_MEMORY_SQL = `INSERT INTO memories (${COLUMNS.join(', ')}) VALUES (${COLUMNS.map((c) => `@${c}`).join(', ')})`;
export const UPDATE_MEMORY_SQL = `UPDATE memories SET ${COLUMNS.filter((c) => c !== 'id')
  .map((c) => `${c} = @${c}`)
  .join(', ')} WHERE pk = @pk`;

/**
 * memory_hash as stored: the engine's hashes (64 lowercase hex digits) as their 32 bytes, which halves the column
 * and its index; a client's own hash of any other form as the text it is. Reads give back the same text either way.
 */
export function storedHash(hash: string): string | Buffer {
  return /^[0-9a-f]{64}$/.test(hash) ? Buffer.from(hash, 'hex') : hash;
}

export function recordToRow(r: MemoryRecord): Omit<MemoryRow, 'pk'> {
  return {
    id: r.id,
    text: r.text,
    session_id: r.session_id ?? null,
    user_id: r.user_id ?? null,
    namespace: r.namespace ?? null,
    memory_type: r.memory_type,
    topics: json(r.topics ?? []),
    entities: json(r.entities ?? []),
    event_date: msOrNull(r.event_date, 'event_date'),
    created_at: msOf(r.created_at, 'created_at'),
    updated_at: msOf(r.updated_at, 'updated_at'),
    last_accessed: msOf(r.last_accessed, 'last_accessed'),
    access_count: r.access_count,
    pinned: r.pinned ? 1 : 0,
    importance: r.importance,
    memory_hash: storedHash(r.memory_hash),
    discrete_memory_extracted: r.discrete_memory_extracted,
    extraction_strategy: r.extraction_strategy,
    extraction_strategy_config: json(r.extraction_strategy_config ?? {}),
    extracted_from: json(r.extracted_from ?? []),
    persisted_at: msOrNull(r.persisted_at, 'persisted_at'),
    metadata: json(r.metadata ?? {}),
    ...agentColumns(r),
  };
}

/** The agent columns of a record (all null for other memories); shared with the PostgreSQL store. */
export function agentColumns(r: MemoryRecord): AgentRowColumns {
  const loc = r.location;
  const geo = loc !== undefined && 'lat' in loc;
  return {
    agent_id: r.agent_id ?? null,
    step_number: r.step_number ?? null,
    loc_kind: loc === undefined ? null : geo ? 2 : 1,
    loc_x: loc === undefined ? null : 'lat' in loc ? loc.lon : loc.x,
    loc_y: loc === undefined ? null : 'lat' in loc ? loc.lat : loc.y,
    content: r.content === undefined ? null : json(r.content),
    memory_tier: r.memory_tier ?? null,
    tier_step: r.tier_step ?? null,
  };
}

type AgentRecordFields = Pick<
  MemoryRecord,
  'agent_id' | 'step_number' | 'location' | 'content' | 'memory_tier' | 'tier_step'
>;

/** The agent fields of a row, only those set (Number(): PostgreSQL reads bigint columns as text). */
export function agentFieldsOfRow(row: AgentRowColumns): AgentRecordFields {
  const out: AgentRecordFields = {};
  if (row.agent_id != null) out.agent_id = row.agent_id;
  if (row.step_number != null) out.step_number = Number(row.step_number);
  if (row.loc_kind != null && row.loc_x != null && row.loc_y != null)
    out.location = row.loc_kind === 2 ? { lat: row.loc_y, lon: row.loc_x } : { x: row.loc_x, y: row.loc_y };
  if (row.content != null) out.content = parseJson(row.content);
  if (row.memory_tier != null) out.memory_tier = row.memory_tier as MemoryTier;
  if (row.tier_step != null) out.tier_step = Number(row.tier_step);
  return out;
}

export function rowToRecord(row: MemoryRow): MemoryRecord {
  return {
    id: row.id,
    text: row.text,
    session_id: row.session_id,
    user_id: row.user_id,
    namespace: row.namespace,
    memory_type: row.memory_type,
    topics: parseJson(row.topics),
    entities: parseJson(row.entities),
    event_date: isoOrNull(row.event_date),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    last_accessed: iso(row.last_accessed),
    access_count: row.access_count,
    pinned: row.pinned !== 0,
    importance: row.importance,
    memory_hash: typeof row.memory_hash === 'string' ? row.memory_hash : Buffer.from(row.memory_hash).toString('hex'),
    discrete_memory_extracted: row.discrete_memory_extracted,
    extraction_strategy: row.extraction_strategy,
    extraction_strategy_config: parseJson(row.extraction_strategy_config),
    extracted_from: parseJson(row.extracted_from),
    persisted_at: isoOrNull(row.persisted_at),
    metadata: parseJson(row.metadata),
    ...agentFieldsOfRow(row),
  };
}

/** The distinct tag values to index per multi-valued field. */
export function tagsOf(r: MemoryRecord): [field: string, value: string][] {
  const out: [string, string][] = [];
  for (const field of ['topics', 'entities'] as const) {
    for (const value of new Set(r[field] ?? [])) out.push([field, value]);
  }
  return out;
}
