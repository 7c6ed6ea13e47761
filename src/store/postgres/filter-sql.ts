import { MemoryError } from '../../errors.js';
import type { StoreFilter, TagFilter, TimeBounds } from '../../models/filters.js';

/** Bound parameters of one statement: `add` returns the placeholder of a value ($1, $2, …). */
export class Params {
  readonly values: unknown[] = [];

  constructor(...initial: unknown[]) {
    this.values.push(...initial);
  }

  add(value: unknown): string {
    this.values.push(value);
    return `$${this.values.length}`;
  }
}

/**
 * The integer bound equivalent to `column op value` for an integer column, so that a bigint index can answer it:
 * `x >= 2.5` is `x >= 3`, `x < 2.5` is `x < 3`, `x > 2.5` and `x <= 2.5` are against 2. Beyond ±2^53, clamped.
 */
export function integerBound(value: number, op: '<' | '<=' | '>' | '>='): number {
  const rounded = op === '<' || op === '>=' ? Math.ceil(value) : Math.floor(value);
  if (Number.isNaN(rounded)) return 0;
  return Math.max(-Number.MAX_SAFE_INTEGER, Math.min(Number.MAX_SAFE_INTEGER, rounded));
}

/** A WHERE fragment over `memories m`. */
export interface FilterSql {
  where: string;
  /** True when the filter selects every memory. */
  empty: boolean;
}

// Identifiers come from these fixed maps only; filter values are always bound parameters.
const SINGLE_VALUED: Readonly<Record<string, string>> = {
  namespace: 'm.namespace',
  user_id: 'm.user_id',
  session_id: 'm.session_id',
  memory_type: 'm.memory_type',
  extraction_strategy: 'm.extraction_strategy',
};
const MULTI_VALUED: Readonly<Record<string, string>> = { topics: 'm.topics', entities: 'm.entities' };
const TIME_COLUMNS: Readonly<Record<string, string>> = {
  created_at: 'm.created_at',
  updated_at: 'm.updated_at',
  last_accessed: 'm.last_accessed',
  event_date: 'm.event_date',
};

// starts_with rather than LIKE, so that % and _ in the prefix are plain characters.
function singleValued(out: string[], p: Params, col: string, f: TagFilter): void {
  if (f.eq !== undefined) out.push(`${col} = ${p.add(f.eq)}`);
  if (f.ne !== undefined) out.push(`(${col} IS NULL OR ${col} <> ${p.add(f.ne)})`);
  if (f.any !== undefined) out.push(`${col} = ANY(${p.add(f.any)}::text[])`);
  // Every listed value must equal the column, so two different values can never match.
  if (f.all !== undefined) out.push(`${col} = ALL(${p.add(f.all)}::text[])`);
  if (f.startswith !== undefined) out.push(`starts_with(${col}, ${p.add(f.startswith)})`);
}

// Array operators, which the GIN indexes on topics and entities answer.
function multiValued(out: string[], p: Params, col: string, f: TagFilter): void {
  if (f.eq !== undefined) out.push(`${col} @> ARRAY[${p.add(f.eq)}::text]`);
  if (f.ne !== undefined) out.push(`NOT (${col} @> ARRAY[${p.add(f.ne)}::text])`);
  if (f.any !== undefined) out.push(`${col} && ${p.add(f.any)}::text[]`);
  if (f.all !== undefined) out.push(`${col} @> ${p.add(f.all)}::text[]`);
  if (f.startswith !== undefined)
    out.push(`EXISTS (SELECT 1 FROM unnest(${col}) AS tag WHERE starts_with(tag, ${p.add(f.startswith)}))`);
}

// Bounds are compared as doubles: a bound may have a fraction of a millisecond, which a bigint parameter refuses.
function bounds(out: string[], p: Params, field: string, col: string, b: TimeBounds): void {
  const ops: [keyof TimeBounds, (v: string) => string][] = [
    ['gt', (v) => `${col} > ${v}`],
    ['gte', (v) => `${col} >= ${v}`],
    ['lt', (v) => `${col} < ${v}`],
    ['lte', (v) => `${col} <= ${v}`],
    ['eq', (v) => `${col} = ${v}`],
    ['ne', (v) => `(${col} IS NULL OR ${col} <> ${v})`],
  ];
  for (const [op, clause] of ops) {
    const v = b[op];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new MemoryError('invalid', `${field}.${op} must be a finite number`);
    }
    out.push(clause(`${p.add(v)}::float8`));
  }
}

/** The filter as SQL over `memories m`, its values added to `p`. */
export function filterSql(filter: StoreFilter, p: Params): FilterSql {
  const out: string[] = [];
  for (const [field, f] of Object.entries(filter.tags ?? {})) {
    if (f === undefined) continue;
    const single = SINGLE_VALUED[field];
    const multi = MULTI_VALUED[field];
    if (single) singleValued(out, p, single, f);
    else if (multi) multiValued(out, p, multi, f);
    else throw new MemoryError('invalid', `unknown tag filter field: ${field}`);
  }
  for (const [field, b] of Object.entries(filter.times ?? {})) {
    if (b === undefined) continue;
    const col = TIME_COLUMNS[field];
    if (!col) throw new MemoryError('invalid', `unknown time filter field: ${field}`);
    bounds(out, p, field, col, b);
  }
  if (filter.importance) bounds(out, p, 'importance', 'm.importance', filter.importance);
  if (filter.pinned !== undefined) out.push(`m.pinned = ${p.add(filter.pinned)}`);
  return { where: out.length === 0 ? 'true' : out.join(' AND '), empty: out.length === 0 };
}
