import { MemoryError } from '../../errors.js';
import {
  MULTI_VALUED_TAGS,
  type StoreFilter,
  type TagField,
  type TagFilter,
  type TimeBounds,
} from '../../models/filters.js';
import type { RedisClient } from './client.js';
import { NULL_TAG, tagValue } from './query-escape.js';

/** Index field of each tag filter field (see index-schema.ts). */
const TAG_FIELDS: Readonly<Record<TagField, string>> = {
  namespace: 'namespace',
  user_id: 'user_id',
  session_id: 'session_id',
  memory_type: 'memory_type',
  extraction_strategy: 'extraction_strategy',
  topics: 'topics',
  entities: 'entities',
};
const TIME_FIELDS: Readonly<Record<string, string>> = {
  created_at: 'created_at',
  updated_at: 'updated_at',
  last_accessed: 'last_accessed',
  event_date: 'event_date',
};

/** The stored (hex-encoded) values each `startswith` filter matches, read from the index by prefixValues. */
export type PrefixValues = Partial<Record<TagField, string[]>>;

/**
 * The exact values behind every `startswith` in the filter. A TAG prefix query (`{abc*}`) stops expanding at
 * the module's MAXEXPANSIONS (200 by default) and silently drops the rest, so the values are listed with
 * FT.TAGVALS and matched here instead: exact at any count. TAGVALS may still list a value whose last memory was
 * deleted and not yet collected; such a value matches nothing, so the answer stays exact.
 */
async function prefixValues(client: RedisClient, index: string, filter: StoreFilter): Promise<PrefixValues> {
  const out: PrefixValues = {};
  for (const [field, f] of Object.entries(filter.tags ?? {}) as [TagField, TagFilter | undefined][]) {
    if (f?.startswith === undefined) continue;
    const name = TAG_FIELDS[field];
    if (!name) throw new MemoryError('invalid', `unknown tag filter field: ${field}`);
    const prefix = tagValue(f.startswith);
    const values = (await client.call('FT.TAGVALS', index, name)) as string[];
    out[field] = values.filter((v) => v !== NULL_TAG && v.startsWith(prefix));
  }
  return out;
}

/**
 * A filter as a RediSearch query (DIALECT 2): clauses joined by spaces (AND). `null` when the filter can match
 * nothing (`all` with two different values on a single-valued field, or a `startswith` no value has), so
 * callers answer without a query. Every value is hex-encoded (query-escape.ts); numbers are checked to be
 * finite. `startswith` needs the values prefixValues read for the same filter.
 */
export function filterQuery(filter: StoreFilter, prefixes: PrefixValues): { query: string; empty: boolean } | null {
  const clauses: string[] = [];
  for (const [field, f] of Object.entries(filter.tags ?? {}) as [TagField, TagFilter | undefined][]) {
    if (f === undefined) continue;
    const name = TAG_FIELDS[field];
    if (!name) throw new MemoryError('invalid', `unknown tag filter field: ${field}`);
    if (!tagClauses(clauses, name, MULTI_VALUED_TAGS.has(field), f, prefixes[field])) return null;
  }
  for (const [field, b] of Object.entries(filter.times ?? {})) {
    if (b === undefined) continue;
    const name = TIME_FIELDS[field];
    if (!name) throw new MemoryError('invalid', `unknown time filter field: ${field}`);
    timeClauses(clauses, field, name, b);
  }
  if (filter.importance) timeClauses(clauses, 'importance', 'importance', filter.importance);
  if (filter.pinned !== undefined) clauses.push(`@pinned:{${filter.pinned ? '1' : '0'}}`);
  return clauses.length === 0 ? { query: '*', empty: true } : { query: clauses.join(' '), empty: false };
}

function tagClauses(out: string[], name: string, multi: boolean, f: TagFilter, prefixed?: string[]): boolean {
  const encoded = (hex: string[]) => `@${name}:{${hex.join(' | ')}}`;
  const tag = (values: string[]) => encoded(values.map(tagValue));
  if (f.eq !== undefined) out.push(tag([f.eq]));
  // Negation keeps memories without the value, null ones included (they hold the null marker or no tags).
  if (f.ne !== undefined) out.push(`-${tag([f.ne])}`);
  if (f.any !== undefined) out.push(tag(f.any));
  if (f.all !== undefined) {
    const distinct = [...new Set(f.all)];
    if (!multi && distinct.length > 1) return false;
    for (const v of distinct) out.push(tag([v]));
  }
  if (f.startswith !== undefined) {
    if (prefixed === undefined) throw new Error(`startswith on ${name} needs its values from prefixValues`);
    if (prefixed.length === 0) return false;
    out.push(encoded(prefixed));
  }
  return true;
}

const num = (field: string, op: string, v: unknown): string => {
  if (typeof v !== 'number' || !Number.isFinite(v)) {
    throw new MemoryError('invalid', `${field}.${op} must be an epoch-millisecond number`);
  }
  return String(v);
};

function timeClauses(out: string[], field: string, name: string, b: TimeBounds): void {
  if (b.gt !== undefined) out.push(`@${name}:[(${num(field, 'gt', b.gt)} +inf]`);
  if (b.gte !== undefined) out.push(`@${name}:[${num(field, 'gte', b.gte)} +inf]`);
  if (b.lt !== undefined) out.push(`@${name}:[-inf (${num(field, 'lt', b.lt)}]`);
  if (b.lte !== undefined) out.push(`@${name}:[-inf ${num(field, 'lte', b.lte)}]`);
  if (b.eq !== undefined) out.push(`@${name}:[${num(field, 'eq', b.eq)} ${b.eq}]`);
  // A memory without the field (a null event_date) is kept, like SQLite's `IS NULL OR !=`.
  if (b.ne !== undefined) out.push(`-@${name}:[${num(field, 'ne', b.ne)} ${b.ne}]`);
}

/** filterQuery for one index, with the values of its `startswith` filters read first. */
export async function indexFilterQuery(client: RedisClient, index: string, filter: StoreFilter) {
  return filterQuery(filter, await prefixValues(client, index, filter));
}
