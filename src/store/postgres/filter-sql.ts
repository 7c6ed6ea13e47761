import { MemoryError } from '../../errors.js';
import type { AgentStoreFilter, AttributeBound, StoreFilter, TagFilter, TimeBounds } from '../../models/filters.js';

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
  if (filter.agent) agentClauses(out, p, filter.agent);
  return { where: out.length === 0 ? 'true' : out.join(' AND '), empty: out.length === 0 };
}

const ATTRIBUTE_PATH = /^(content|metadata)(\.[A-Za-z0-9_-]{1,64}){1,8}$/;

/** The JSON value at a declared path (`content.a.b`); paths are checked first, so the literal is safe. */
function attributeJson(path: string, alias: string): string {
  if (!ATTRIBUTE_PATH.test(path))
    throw new MemoryError('invalid', `attribute path ${JSON.stringify(path)} is not content.… or metadata.…`);
  const [column, ...keys] = path.split('.');
  return `(${alias}${column}::jsonb #> '{${keys.map((k) => `"${k}"`).join(',')}}')`;
}

/**
 * A declared path's value as a number (booleans as 1 and 0, as SQLite's json_extract gives them) and as text
 * (strings only): each compares as the SQLite store does. The same expressions index the declared paths.
 */
export function attributeNumber(path: string, alias = 'm.'): string {
  const v = attributeJson(path, alias);
  return `(CASE jsonb_typeof(${v}) WHEN 'number' THEN (${v} #>> '{}')::float8 WHEN 'boolean' THEN (CASE WHEN ${v} = 'true'::jsonb THEN 1 ELSE 0 END)::float8 END)`;
}
export function attributeText(path: string, alias = 'm.'): string {
  const v = attributeJson(path, alias);
  return `(CASE jsonb_typeof(${v}) WHEN 'string' THEN ${v} #>> '{}' END)`;
}

function scalarEq(p: Params, a: AttributeBound, v: string | number | boolean): string {
  if (typeof v === 'string') return `${attributeText(a.path)} = ${p.add(v)}::text`;
  return `${attributeNumber(a.path)} = ${p.add(typeof v === 'boolean' ? (v ? 1 : 0) : v)}::float8`;
}

function attributeClauses(out: string[], p: Params, a: AttributeBound): void {
  const c = a.cond;
  if (c.eq !== undefined) out.push(scalarEq(p, a, c.eq));
  if (c.ne !== undefined) out.push(`(${scalarEq(p, a, c.ne)}) IS NOT TRUE`);
  if (c.any !== undefined) out.push(`(${c.any.map((v) => scalarEq(p, a, v)).join(' OR ')})`);
  const n = attributeNumber(a.path);
  if (c.gt !== undefined) out.push(`${n} > ${p.add(c.gt)}::float8`);
  if (c.gte !== undefined) out.push(`${n} >= ${p.add(c.gte)}::float8`);
  if (c.lt !== undefined) out.push(`${n} < ${p.add(c.lt)}::float8`);
  if (c.lte !== undefined) out.push(`${n} <= ${p.add(c.lte)}::float8`);
}

const EARTH_RADIUS_M = 6_371_008.8;

function agentClauses(out: string[], p: Params, a: AgentStoreFilter): void {
  if (a.agent_id) singleValued(out, p, 'm.agent_id', a.agent_id);
  if (a.step) bounds(out, p, 'step_number', 'm.step_number', a.step);
  if (a.tiers) singleValued(out, p, 'm.memory_tier', { any: a.tiers });
  if (a.tierStep) bounds(out, p, 'tier_step', 'm.tier_step', a.tierStep);
  const s = a.spatial;
  if (s) {
    for (const v of [s.minX, s.minY, s.maxX, s.maxY]) {
      if (!Number.isFinite(v)) throw new MemoryError('invalid', 'location bounds must be finite numbers');
    }
    out.push(
      `m.loc_kind = ${p.add(s.kind === 'xy' ? 1 : 2)}::smallint AND m.loc_x BETWEEN ${p.add(s.minX)}::float8 AND ${p.add(s.maxX)}::float8 AND m.loc_y BETWEEN ${p.add(s.minY)}::float8 AND ${p.add(s.maxY)}::float8`,
    );
    if (s.kind === 'xy' && s.circle) {
      const x = p.add(s.circle.x);
      const y = p.add(s.circle.y);
      out.push(
        `((m.loc_x - ${x}::float8) * (m.loc_x - ${x}::float8) + (m.loc_y - ${y}::float8) * (m.loc_y - ${y}::float8)) <= ${p.add(s.circle.r * s.circle.r)}::float8`,
      );
    }
    if (s.kind === 'geo' && s.circle) {
      const lat = p.add(s.circle.lat);
      const lon = p.add(s.circle.lon);
      out.push(
        `2 * ${EARTH_RADIUS_M} * asin(least(1, sqrt(power(sin(radians(m.loc_y - ${lat}::float8) / 2), 2) + cos(radians(${lat}::float8)) * cos(radians(m.loc_y)) * power(sin(radians(m.loc_x - ${lon}::float8) / 2), 2)))) <= ${p.add(s.circle.radiusM)}::float8`,
      );
    }
  }
  for (const attr of a.attributes ?? []) attributeClauses(out, p, attr);
}

/** Expression indexes for the declared attribute paths (AGENT_ATTRIBUTE_PATHS), created when the store opens. */
export function attributeIndexSql(paths: readonly string[]): string[] {
  return paths.flatMap((path) => {
    const name = `memories_attr_${path.replace(/[^A-Za-z0-9]/g, '_')}`.slice(0, 55);
    return [
      `CREATE INDEX IF NOT EXISTS "${name}_n" ON memories (${attributeNumber(path, '')})`,
      `CREATE INDEX IF NOT EXISTS "${name}_t" ON memories (${attributeText(path, '')})`,
    ];
  });
}

/** The leading ORDER BY terms of a listing order (the port's ListOrder); the caller appends the tie-breakers. */
export function listOrderSql(order: string | undefined): string {
  if (order === 'importance') return 'm.importance DESC, ';
  if (order === 'step_number') return 'm.step_number DESC NULLS LAST, ';
  if (order === 'step_number_asc') return 'm.step_number ASC NULLS LAST, ';
  if (order === 'tier_step') return 'm.tier_step DESC NULLS LAST, ';
  return '';
}
