import { MemoryError } from '../../errors.js';
import type { StoreFilter, TagFilter, TimeBounds } from '../../models/filters.js';

/** A WHERE fragment over `memories m` and its bound parameters, in order. */
export interface FilterSql {
  where: string;
  params: unknown[];
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
const MULTI_VALUED: ReadonlySet<string> = new Set(['topics', 'entities']);
const TIME_COLUMNS: Readonly<Record<string, string>> = {
  created_at: 'm.created_at',
  updated_at: 'm.updated_at',
  last_accessed: 'm.last_accessed',
  event_date: 'm.event_date',
};

type Out = { clauses: string[]; params: unknown[] };

function add(out: Out, clause: string, ...params: unknown[]): void {
  out.clauses.push(clause);
  out.params.push(...params);
}

function singleValued(out: Out, col: string, f: TagFilter): void {
  if (f.eq !== undefined) add(out, `${col} = ?`, f.eq);
  if (f.ne !== undefined) add(out, `(${col} IS NULL OR ${col} != ?)`, f.ne);
  if (f.any !== undefined) add(out, `${col} IN (SELECT value FROM json_each(?))`, JSON.stringify(f.any));
  // Every listed value must equal the column, so two different values can never match.
  if (f.all !== undefined)
    add(out, `NOT EXISTS (SELECT 1 FROM json_each(?) WHERE value IS NOT ${col})`, JSON.stringify(f.all));
  // substr instead of LIKE so that % and _ in the prefix are plain characters.
  if (f.startswith !== undefined) add(out, `substr(${col}, 1, length(?)) = ?`, f.startswith, f.startswith);
}

function multiValued(out: Out, field: string, f: TagFilter): void {
  const tagged = 'SELECT memory_rowid FROM memory_tags WHERE field = ? AND';
  if (f.eq !== undefined) add(out, `m.pk IN (${tagged} value = ?)`, field, f.eq);
  if (f.ne !== undefined) add(out, `m.pk NOT IN (${tagged} value = ?)`, field, f.ne);
  if (f.any !== undefined)
    add(out, `m.pk IN (${tagged} value IN (SELECT value FROM json_each(?)))`, field, JSON.stringify(f.any));
  if (f.all !== undefined) {
    const distinct = [...new Set(f.all)];
    add(
      out,
      `m.pk IN (${tagged} value IN (SELECT value FROM json_each(?)) GROUP BY memory_rowid HAVING count(DISTINCT value) = ?)`,
      field,
      JSON.stringify(distinct),
      distinct.length,
    );
  }
  if (f.startswith !== undefined)
    add(out, `m.pk IN (${tagged} substr(value, 1, length(?)) = ?)`, field, f.startswith, f.startswith);
}

function timeBounds(out: Out, field: string, col: string, b: TimeBounds): void {
  const ops: [keyof TimeBounds, string][] = [
    ['gt', `${col} > ?`],
    ['gte', `${col} >= ?`],
    ['lt', `${col} < ?`],
    ['lte', `${col} <= ?`],
    ['eq', `${col} = ?`],
    ['ne', `(${col} IS NULL OR ${col} != ?)`],
  ];
  for (const [op, clause] of ops) {
    const v = b[op];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new MemoryError('invalid', `${field}.${op} must be a finite number`);
    }
    add(out, clause, v);
  }
}

export function filterSql(filter: StoreFilter): FilterSql {
  const out: Out = { clauses: [], params: [] };
  for (const [field, f] of Object.entries(filter.tags ?? {})) {
    if (f === undefined) continue;
    const col = SINGLE_VALUED[field];
    if (col) singleValued(out, col, f);
    else if (MULTI_VALUED.has(field)) multiValued(out, field, f);
    else throw new MemoryError('invalid', `unknown tag filter field: ${field}`);
  }
  for (const [field, b] of Object.entries(filter.times ?? {})) {
    if (b === undefined) continue;
    const col = TIME_COLUMNS[field];
    if (!col) throw new MemoryError('invalid', `unknown time filter field: ${field}`);
    timeBounds(out, field, col, b);
  }
  if (filter.importance) timeBounds(out, 'importance', 'm.importance', filter.importance);
  if (filter.pinned !== undefined) add(out, 'm.pinned = ?', filter.pinned ? 1 : 0);
  const empty = out.clauses.length === 0;
  return { where: empty ? '1' : out.clauses.join(' AND '), params: out.params, empty };
}
