import type { MemoryRecord } from '../../models/memory-record.js';
import type { IndexedMemory } from '../port.js';
import { iso, isoOrNull, msOf, msOrNull } from '../sqlite/codec.js';
import { attributeFields } from './index-schema.js';
import { tagOrNull, tagValue } from './query-escape.js';

/**
 * A memory hash: `doc` is the record as JSON (without the two fields recordAccess changes, kept as plain fields
 * so that a Lua script can bump them without re-encoding JSON), beside the projections the search index reads.
 * Times are normalised through epoch milliseconds exactly as the SQLite store does.
 */
export type MemoryFields = [field: string, value: string][];

const tagList = (values: string[] | null | undefined) => [...new Set(values ?? [])].map(tagValue).join(',');

/** `text`: the keyword index strings as stored (keyword-stats.ts keywordText). */
export function memoryFields(
  item: IndexedMemory,
  text: { terms: string; context: string },
  attributePaths: readonly string[] = [],
): MemoryFields {
  const r = item.record;
  const created = msOf(r.created_at, 'created_at');
  const updated = msOf(r.updated_at, 'updated_at');
  const lastAccessed = msOf(r.last_accessed, 'last_accessed');
  const eventDate = msOrNull(r.event_date, 'event_date');
  const persisted = msOrNull(r.persisted_at, 'persisted_at');
  const { access_count, last_accessed, ...rest } = r;
  const doc = {
    ...rest,
    session_id: r.session_id ?? null,
    user_id: r.user_id ?? null,
    namespace: r.namespace ?? null,
    topics: r.topics ?? [],
    entities: r.entities ?? [],
    event_date: isoOrNull(eventDate),
    created_at: iso(created),
    updated_at: iso(updated),
    persisted_at: isoOrNull(persisted),
    extraction_strategy_config: r.extraction_strategy_config ?? {},
    extracted_from: r.extracted_from ?? [],
    metadata: r.metadata ?? {},
  };
  const fields: MemoryFields = [
    ['doc', JSON.stringify(doc)],
    ['access_count', String(access_count)],
    ['last_accessed', String(lastAccessed)],
    ['terms', text.terms],
    ['context', text.context],
    ['id', r.id],
    ['namespace', tagOrNull(r.namespace)],
    ['user_id', tagOrNull(r.user_id)],
    ['session_id', tagOrNull(r.session_id)],
    ['memory_type', tagValue(r.memory_type)],
    ['extraction_strategy', tagValue(r.extraction_strategy)],
    ['memory_hash', tagValue(r.memory_hash)],
    ['pinned', r.pinned ? '1' : '0'],
    ['created_at', String(created)],
    ['updated_at', String(updated)],
    ['importance', String(r.importance)],
  ];
  // Absent rather than empty: a missing field is what `ne` filters and numeric ranges treat as null.
  const topics = tagList(r.topics);
  const entities = tagList(r.entities);
  if (topics) fields.push(['topics', topics]);
  if (entities) fields.push(['entities', entities]);
  if (eventDate !== null) fields.push(['event_date', String(eventDate)]);
  fields.push(['hid', tagValue(r.id)]);
  agentIndexFields(fields, r, attributePaths);
  return fields;
}

/** The value at `content.a.b` / `metadata.c` of a record, or undefined. */
export function attributeValue(r: MemoryRecord, path: string): unknown {
  const [column, ...keys] = path.split('.');
  let v: unknown = column === 'content' ? r.content : column === 'metadata' ? r.metadata : undefined;
  for (const k of keys) {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return undefined;
    v = (v as Record<string, unknown>)[k];
  }
  return v;
}

/**
 * Agent fields for the index (absent when unset, so ranges and `ne` treat them as null). Numbers are written with
 * String(), which reads back as the same double, so range ends compare as in the SQL stores; a boolean attribute
 * is the number 1 or 0 and a string a hex tag, as SQLite's json_extract compares them.
 */
function agentIndexFields(fields: MemoryFields, r: MemoryRecord, attributePaths: readonly string[]): void {
  if (r.agent_id !== undefined) fields.push(['agent_id', tagValue(r.agent_id)]);
  if (r.step_number !== undefined) fields.push(['step_number', String(r.step_number)]);
  if (r.memory_tier !== undefined) fields.push(['memory_tier', tagValue(r.memory_tier)]);
  if (r.tier_step !== undefined) fields.push(['tier_step', String(r.tier_step)]);
  const loc = r.location;
  if (loc !== undefined) {
    const geo = 'lat' in loc;
    fields.push(['loc_kind', geo ? '2' : '1']);
    fields.push(['loc_x', String(geo ? loc.lon : loc.x)]);
    fields.push(['loc_y', String(geo ? loc.lat : loc.y)]);
  }
  for (const path of attributePaths) {
    const v = attributeValue(r, path);
    const f = attributeFields(path);
    if (typeof v === 'number' && Number.isFinite(v)) fields.push([f.num, String(v)]);
    else if (typeof v === 'boolean') fields.push([f.num, v ? '1' : '0']);
    else if (typeof v === 'string') fields.push([f.tag, tagValue(v)]);
  }
}

export function decodeMemory(doc: string, accessCount: string, lastAccessed: string): MemoryRecord {
  return {
    ...(JSON.parse(doc) as Omit<MemoryRecord, 'access_count' | 'last_accessed'>),
    access_count: Number(accessCount),
    last_accessed: iso(Number(lastAccessed)),
  } as MemoryRecord;
}

/** True for an all-zero vector: it has no direction, so it is left out of the vector index (as in SQLite). */
export const isZeroVector = (v: Float32Array) => v.every((x) => x === 0);

/** The vector's bytes (FLOAT32, little-endian, as RediSearch reads them). */
export const vectorBytes = (v: Float32Array): Buffer => Buffer.from(v.buffer, v.byteOffset, v.byteLength);

/** The inverse, copied: a Buffer from the client may sit at an offset that is not 4-byte aligned. */
export const vectorFromBytes = (buf: Buffer): Float32Array => new Float32Array(new Uint8Array(buf).buffer);
