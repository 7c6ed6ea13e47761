import type { MemoryRecord } from '../../models/memory-record.js';
import { iso, isoOrNull, json, msOf, msOrNull, parseJson } from '../sqlite/codec.js';
import { type AgentRowColumns, agentColumns, agentFieldsOfRow } from '../sqlite/memory-rows.js';

/** A memory as its row holds it (what SELECT * returns, doc_len aside). */
export interface MemoryRow extends AgentRowColumns {
  pk: number;
  id: string;
  text: string;
  session_id: string | null;
  user_id: string | null;
  namespace: string | null;
  memory_type: MemoryRecord['memory_type'];
  topics: string[];
  entities: string[];
  event_date: number | null;
  created_at: number;
  updated_at: number;
  last_accessed: number;
  access_count: number;
  pinned: boolean;
  importance: number;
  memory_hash: string;
  discrete_memory_extracted: MemoryRecord['discrete_memory_extracted'];
  extraction_strategy: string;
  extraction_strategy_config: string;
  extracted_from: string;
  persisted_at: number | null;
  metadata: string;
}

export type MemoryValues = Omit<MemoryRow, 'pk'>;

/** Every written column and its SQL type, in the order json_to_recordset declares them. */
const COLUMNS: readonly [keyof MemoryValues, string][] = [
  ['id', 'text'],
  ['text', 'text'],
  ['session_id', 'text'],
  ['user_id', 'text'],
  ['namespace', 'text'],
  ['memory_type', 'text'],
  ['topics', 'json'],
  ['entities', 'json'],
  ['event_date', 'bigint'],
  ['created_at', 'bigint'],
  ['updated_at', 'bigint'],
  ['last_accessed', 'bigint'],
  ['access_count', 'bigint'],
  ['pinned', 'boolean'],
  ['importance', 'double precision'],
  ['memory_hash', 'text'],
  ['discrete_memory_extracted', 'text'],
  ['extraction_strategy', 'text'],
  ['extraction_strategy_config', 'text'],
  ['extracted_from', 'text'],
  ['persisted_at', 'bigint'],
  ['metadata', 'text'],
  ['agent_id', 'text'],
  ['step_number', 'bigint'],
  ['loc_kind', 'smallint'],
  ['loc_x', 'double precision'],
  ['loc_y', 'double precision'],
  ['content', 'text'],
  ['memory_tier', 'text'],
  ['tier_step', 'bigint'],
];

/** A list column from its JSON form in the batch. */
const columnValue = (name: string, type: string) =>
  type === 'json' ? `ARRAY(SELECT json_array_elements_text(v.${name}))` : `v.${name}`;

/** The batch of rows, one JSON parameter: `json_to_recordset($1::json) AS v(…)` with `ord` for the input order. */
const BATCH = `json_to_recordset($1::json) AS v(${COLUMNS.map(([c, t]) => `${c} ${t}`).join(', ')}, ord integer)`;

/** Inserts in input order (so row ids follow it, as sessionTail needs); ids already taken are skipped. */
export const INSERT_MEMORIES_SQL = `INSERT INTO memories (${COLUMNS.map(([c]) => c).join(', ')})
  SELECT ${COLUMNS.map(([c, t]) => columnValue(c, t)).join(', ')} FROM ${BATCH} ORDER BY v.ord
  ON CONFLICT (id) DO NOTHING RETURNING pk, id`;

export const UPDATE_MEMORIES_SQL = `UPDATE memories m SET ${COLUMNS.filter(([c]) => c !== 'id')
  .map(([c, t]) => `${c} = ${columnValue(c, t)}`)
  .join(', ')} FROM ${BATCH} WHERE m.id = v.id RETURNING m.pk, m.id`;

/** The batch parameter for INSERT_MEMORIES_SQL / UPDATE_MEMORIES_SQL. */
export const batchParam = (rows: MemoryValues[]): string => JSON.stringify(rows.map((r, ord) => ({ ...r, ord })));

export function recordToValues(r: MemoryRecord): MemoryValues {
  return {
    id: r.id,
    text: r.text,
    session_id: r.session_id ?? null,
    user_id: r.user_id ?? null,
    namespace: r.namespace ?? null,
    memory_type: r.memory_type,
    topics: r.topics ?? [],
    entities: r.entities ?? [],
    event_date: msOrNull(r.event_date, 'event_date'),
    created_at: msOf(r.created_at, 'created_at'),
    updated_at: msOf(r.updated_at, 'updated_at'),
    last_accessed: msOf(r.last_accessed, 'last_accessed'),
    access_count: r.access_count,
    pinned: r.pinned,
    importance: r.importance,
    memory_hash: r.memory_hash,
    discrete_memory_extracted: r.discrete_memory_extracted,
    extraction_strategy: r.extraction_strategy,
    extraction_strategy_config: json(r.extraction_strategy_config ?? {}),
    extracted_from: json(r.extracted_from ?? []),
    persisted_at: msOrNull(r.persisted_at, 'persisted_at'),
    metadata: json(r.metadata ?? {}),
    ...agentColumns(r),
  };
}

/** The columns a record needs (SELECT list), without the keyword index's doc_len. */
export const RECORD_COLUMNS = `m.pk, ${COLUMNS.map(([c]) => `m.${c}`).join(', ')}`;

export function rowToRecord(row: MemoryRow): MemoryRecord {
  return {
    id: row.id,
    text: row.text,
    session_id: row.session_id,
    user_id: row.user_id,
    namespace: row.namespace,
    memory_type: row.memory_type,
    topics: row.topics,
    entities: row.entities,
    event_date: isoOrNull(row.event_date),
    created_at: iso(row.created_at),
    updated_at: iso(row.updated_at),
    last_accessed: iso(row.last_accessed),
    access_count: row.access_count,
    pinned: row.pinned,
    importance: row.importance,
    memory_hash: row.memory_hash,
    discrete_memory_extracted: row.discrete_memory_extracted,
    extraction_strategy: row.extraction_strategy,
    extraction_strategy_config: parseJson(row.extraction_strategy_config),
    extracted_from: parseJson(row.extracted_from),
    persisted_at: isoOrNull(row.persisted_at),
    metadata: parseJson(row.metadata),
    ...agentFieldsOfRow(row),
  };
}
