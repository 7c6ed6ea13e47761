import type { StoreFilter, TagField, TagFilter, TimeBounds, TimeField } from '../../src/models/filters.js';
import { MemoryRecord } from '../../src/models/memory-record.js';
import { MemoryMessage } from '../../src/models/message.js';
import { WorkingMemory } from '../../src/models/working-memory.js';
import type { IndexedMemory } from '../../src/store/port.js';

export const DIM = 8;
export const MODEL = 'test-model';
export const T0 = Date.parse('2025-01-01T00:00:00.000Z');
export const DAY = 86_400_000;
export const isoAt = (ms: number) => new Date(ms).toISOString();

let seq = 0;
const next = () => ++seq;

/** A complete, schema-valid record; every field can be overridden. */
export function memoryRecord(over: Partial<MemoryRecord> = {}): MemoryRecord {
  const n = next();
  const id = over.id ?? `mem-${n}`;
  return MemoryRecord.parse({
    id,
    text: `memory number ${n}`,
    session_id: null,
    user_id: null,
    namespace: null,
    memory_type: 'semantic',
    topics: [],
    entities: [],
    event_date: null,
    created_at: isoAt(T0),
    updated_at: isoAt(T0),
    last_accessed: isoAt(T0),
    access_count: 0,
    pinned: false,
    importance: 0.5,
    memory_hash: `hash-of-${id}`,
    discrete_memory_extracted: 'f',
    extraction_strategy: 'discrete',
    extraction_strategy_config: {},
    extracted_from: [],
    persisted_at: null,
    metadata: {},
    ...over,
  });
}

/** A unit vector of dimension `dim` from leading components (the rest are zero). */
export function unitVector(components: number[], dim = DIM): Float32Array {
  const v = new Float32Array(dim);
  components.forEach((c, i) => {
    v[i] = c;
  });
  const norm = Math.hypot(...v);
  return v.map((x) => x / norm);
}

/** The unit vector along axis `i`. */
export const axis = (i: number, dim = DIM): Float32Array => {
  const v = new Float32Array(dim);
  v[i] = 1;
  return v;
};

export interface MemOptions extends Partial<MemoryRecord> {
  terms?: string;
  contextTerms?: string;
  vector?: Float32Array;
}

/** An IndexedMemory ready for putMemories. */
export function mem(opts: MemOptions = {}): IndexedMemory {
  const { terms, contextTerms, vector, ...over } = opts;
  return {
    record: memoryRecord(over),
    terms: terms ?? '',
    contextTerms: contextTerms ?? '',
    vector: vector ?? axis(0),
  };
}

export const noFilter = (): StoreFilter => ({ tags: {}, times: {} });

export function filter(
  tags: Partial<Record<TagField, TagFilter>> = {},
  times: Partial<Record<TimeField, TimeBounds>> = {},
  pinned?: boolean,
): StoreFilter {
  return pinned === undefined ? { tags, times } : { tags, times, pinned };
}

export function message(over: Partial<MemoryMessage> = {}): MemoryMessage {
  const n = next();
  return MemoryMessage.parse({
    id: `msg-${n}`,
    role: 'user',
    content: `message number ${n}`,
    created_at: isoAt(T0 + n * 1000),
    persisted_at: null,
    discrete_memory_extracted: 'f',
    ...over,
  });
}

export function workingMemory(over: Partial<WorkingMemory> = {}): WorkingMemory {
  return WorkingMemory.parse({
    session_id: `session-${next()}`,
    namespace: null,
    user_id: null,
    messages: [],
    memories: [],
    context: null,
    data: {},
    tokens: 0,
    ttl_seconds: null,
    long_term_memory_strategy: { strategy: 'discrete', config: {} },
    created_at: isoAt(T0),
    updated_at: isoAt(T0),
    last_accessed: isoAt(T0),
    version: 0,
    ...over,
  });
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export const sorted = (xs: Iterable<string>) => [...xs].sort();
