import { MemoryError } from '../../errors.js';
import type { AgentStoreFilter, AttributeBound, StoreFilter, TagFilter, TimeBounds } from '../../models/filters.js';

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
  if (filter.agent) agentClauses(out, filter.agent);
  const empty = out.clauses.length === 0;
  return { where: empty ? '1' : out.clauses.join(' AND '), params: out.params, empty };
}

/**
 * The SQL expression of a declared attribute path (`content.a.b` → json_extract(m.content, '$."a"."b"')). Paths are
 * checked against ATTRIBUTE_PATH (letters, digits, _ and -) before they get here, so the literal is safe; the
 * expression indexes of declared paths (attributeIndexSql) use the very same text, so SQLite can use them.
 */
export function attributeExpr(path: string, alias = 'm.'): string {
  if (!/^(content|metadata)(\.[A-Za-z0-9_-]{1,64}){1,8}$/.test(path)) {
    throw new MemoryError('invalid', `attribute path ${JSON.stringify(path)} is not content.… or metadata.…`);
  }
  const [column, ...keys] = path.split('.');
  return `json_extract(${alias}${column}, '$.${keys.map((k) => `"${k}"`).join('.')}')`;
}

/** A JSON scalar as SQLite compares json_extract's result: booleans are 1 and 0. */
const sqlScalar = (v: string | number | boolean) => (typeof v === 'boolean' ? (v ? 1 : 0) : v);

function attributeClauses(out: Out, a: AttributeBound): void {
  const e = attributeExpr(a.path);
  const c = a.cond;
  if (c.eq !== undefined) add(out, `${e} = ?`, sqlScalar(c.eq));
  if (c.ne !== undefined) add(out, `(${e} IS NULL OR ${e} != ?)`, sqlScalar(c.ne));
  if (c.any !== undefined) add(out, `${e} IN (SELECT value FROM json_each(?))`, JSON.stringify(c.any.map(sqlScalar)));
  // Numbers sort before text in SQLite: `< ''` keeps a lower bound from matching text values.
  if (c.gt !== undefined) add(out, `(${e} > ? AND ${e} < '')`, c.gt);
  if (c.gte !== undefined) add(out, `(${e} >= ? AND ${e} < '')`, c.gte);
  if (c.lt !== undefined) add(out, `${e} < ?`, c.lt);
  if (c.lte !== undefined) add(out, `${e} <= ?`, c.lte);
}

const EARTH_RADIUS_M = 6_371_008.8;

function agentClauses(out: Out, a: AgentStoreFilter): void {
  if (a.agent_id) singleValued(out, 'm.agent_id', a.agent_id);
  if (a.step) timeBounds(out, 'step_number', 'm.step_number', a.step);
  if (a.tiers) singleValued(out, 'm.memory_tier', { any: a.tiers });
  if (a.tierStep) timeBounds(out, 'tier_step', 'm.tier_step', a.tierStep);
  const s = a.spatial;
  if (s) {
    for (const v of [s.minX, s.minY, s.maxX, s.maxY]) {
      if (!Number.isFinite(v)) throw new MemoryError('invalid', 'location bounds must be finite numbers');
    }
    const kind = s.kind === 'xy' ? 1 : 2;
    // The R*Tree's float32 boxes are rounded outward: it finds a superset, the exact test is on the REAL columns.
    add(
      out,
      'm.pk IN (SELECT pk FROM memories_rtree WHERE min_x <= ? AND max_x >= ? AND min_y <= ? AND max_y >= ? AND kind = ?)',
      s.maxX,
      s.minX,
      s.maxY,
      s.minY,
      kind,
    );
    add(
      out,
      'm.loc_kind = ? AND m.loc_x BETWEEN ? AND ? AND m.loc_y BETWEEN ? AND ?',
      kind,
      s.minX,
      s.maxX,
      s.minY,
      s.maxY,
    );
    if (s.kind === 'xy' && s.circle) {
      const { x, y, r } = s.circle;
      add(out, '((m.loc_x - ?) * (m.loc_x - ?) + (m.loc_y - ?) * (m.loc_y - ?)) <= ?', x, x, y, y, r * r);
    }
    if (s.kind === 'geo' && s.circle) {
      const { lat, lon, radiusM } = s.circle;
      add(
        out,
        `2 * ${EARTH_RADIUS_M} * asin(min(1, sqrt(pow(sin(radians(m.loc_y - ?) / 2), 2) + cos(radians(?)) * cos(radians(m.loc_y)) * pow(sin(radians(m.loc_x - ?) / 2), 2)))) <= ?`,
        lat,
        lat,
        lon,
        radiusM,
      );
    }
  }
  for (const attr of a.attributes ?? []) attributeClauses(out, attr);
}

/** Expression indexes for the declared attribute paths (AGENT_ATTRIBUTE_PATHS), created when the store opens. */
export function attributeIndexSql(paths: readonly string[]): string[] {
  return paths.map((p) => {
    const name = `memories_attr_${p.replace(/[^A-Za-z0-9]/g, '_')}`;
    return `CREATE INDEX IF NOT EXISTS "${name}" ON memories (${attributeExpr(p, '')})`;
  });
}

/** The leading ORDER BY terms of a listing order (the port's ListOrder); the caller appends the tie-breakers. */
export function listOrderSql(order: string | undefined): string {
  if (order === 'importance') return 'm.importance DESC, ';
  if (order === 'step_number') return 'm.step_number IS NULL, m.step_number DESC, ';
  if (order === 'step_number_asc') return 'm.step_number IS NULL, m.step_number ASC, ';
  if (order === 'tier_step') return 'm.tier_step IS NULL, m.tier_step DESC, ';
  return '';
}
