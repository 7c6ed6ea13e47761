import type { MemoryRecord } from '../../models/memory-record.js';
import type { IndexedMemory } from '../port.js';
import { iso, isoOrNull, msOf, msOrNull } from '../sqlite/codec.js';
import { tagOrNull, tagValue } from './query-escape.js';

/**
 * A memory hash: `doc` is the record as JSON (without the two fields recordAccess changes, kept as plain fields
 * so that a Lua script can bump them without re-encoding JSON), beside the projections the search index reads.
 * Times are normalised through epoch milliseconds exactly as the SQLite store does.
 */
export type MemoryFields = [field: string, value: string][];

const tagList = (values: string[] | null | undefined) => [...new Set(values ?? [])].map(tagValue).join(',');

/** `text`: the keyword index strings as stored (keyword-stats.ts keywordText). */
export function memoryFields(item: IndexedMemory, text: { terms: string; context: string }): MemoryFields {
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
  return fields;
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
