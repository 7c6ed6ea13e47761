import { MemoryError } from '../../errors.js';
import {
  MULTI_VALUED_TAGS,
  type StoreFilter,
  type TagField,
  type TagFilter,
  type TimeBounds,
} from '../../models/filters.js';
import { tagValue } from './query-escape.js';

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

/**
 * A filter as a RediSearch query (DIALECT 2): clauses joined by spaces (AND). `null` when the filter can match
 * nothing (`all` with two different values on a single-valued field), so callers answer without a query.
 * Every value is hex-encoded (query-escape.ts); numbers are checked to be finite.
 */
export function filterQuery(filter: StoreFilter): { query: string; empty: boolean } | null {
  const clauses: string[] = [];
  for (const [field, f] of Object.entries(filter.tags ?? {}) as [TagField, TagFilter | undefined][]) {
    if (f === undefined) continue;
    const name = TAG_FIELDS[field];
    if (!name) throw new MemoryError('invalid', `unknown tag filter field: ${field}`);
    if (!tagClauses(clauses, name, MULTI_VALUED_TAGS.has(field), f)) return null;
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

function tagClauses(out: string[], name: string, multi: boolean, f: TagFilter): boolean {
  const tag = (values: string[]) => `@${name}:{${values.map(tagValue).join(' | ')}}`;
  if (f.eq !== undefined) out.push(tag([f.eq]));
  // Negation keeps memories without the value, null ones included (they hold the null marker or no tags).
  if (f.ne !== undefined) out.push(`-${tag([f.ne])}`);
  if (f.any !== undefined) out.push(tag(f.any));
  if (f.all !== undefined) {
    const distinct = [...new Set(f.all)];
    if (!multi && distinct.length > 1) return false;
    for (const v of distinct) out.push(tag([v]));
  }
  if (f.startswith !== undefined) out.push(`@${name}:{${tagValue(f.startswith)}*}`);
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
