import { geoDistanceM } from '../../core/filters.js';
import { MemoryError } from '../../errors.js';
import {
  type AgentStoreFilter,
  type AttributeBound,
  MULTI_VALUED_TAGS,
  type StoreFilter,
  type TagField,
  type TagFilter,
  type TimeBounds,
} from '../../models/filters.js';
import { aggregateRows } from './aggregate-cursor.js';
import type { RedisClient } from './client.js';
import { attributeFields } from './index-schema.js';
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
export type PrefixValues = Partial<Record<TagField | 'agent_id', string[]>> & {
  /** The hex ids inside the filter's circle (resolveCircle), when it has one. */
  circle?: string[];
};

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
  const agentPrefix = filter.agent?.agent_id?.startswith;
  if (agentPrefix !== undefined) {
    const prefix = tagValue(agentPrefix);
    const values = (await client.call('FT.TAGVALS', index, 'agent_id')) as string[];
    out.agent_id = values.filter((v) => v.startsWith(prefix));
  }
  return out;
}

/**
 * The members of a spatial filter's circle. The index answers the box around it (NUMERIC ranges on loc_x and
 * loc_y, with every other clause of the filter); of those candidates only, the exact distance is checked here,
 * with the very arithmetic of the SQL stores, and the members come back as hex ids for an `@hid` clause.
 */
async function resolveCircle(client: RedisClient, index: string, filter: StoreFilter, prefixes: PrefixValues) {
  const spatial = filter.agent?.spatial;
  if (!spatial?.circle) return undefined;
  const boxOnly = filterQuery(
    { ...filter, agent: { ...filter.agent, spatial: { ...spatial, circle: undefined } } },
    prefixes,
  );
  if (!boxOnly) return [];
  const inside: string[] = [];
  for await (const rows of aggregateRows(client, index, boxOnly.query, { load: ['hid', 'loc_x', 'loc_y'] })) {
    for (const row of rows) {
      const x = Number(row.loc_x);
      const y = Number(row.loc_y);
      if (spatial.kind === 'xy') {
        const c = spatial.circle as { x: number; y: number; r: number };
        if ((x - c.x) * (x - c.x) + (y - c.y) * (y - c.y) <= c.r * c.r) inside.push(row.hid!);
      } else {
        const c = spatial.circle as { lat: number; lon: number; radiusM: number };
        if (geoDistanceM(c.lat, c.lon, y, x) <= c.radiusM) inside.push(row.hid!);
      }
    }
  }
  return inside;
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
  if (filter.agent && !agentClauses(clauses, filter.agent, prefixes)) return null;
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

const finiteNum = (what: string, v: number): string => {
  if (!Number.isFinite(v)) throw new MemoryError('invalid', `${what} must be a finite number`);
  return String(v);
};

function attributeEq(a: AttributeBound, v: string | number | boolean): string {
  const f = attributeFields(a.path);
  if (typeof v === 'string') return `@${f.tag}:{${tagValue(v)}}`;
  const n = typeof v === 'boolean' ? (v ? 1 : 0) : v;
  const s = finiteNum(a.path, n);
  return `@${f.num}:[${s} ${s}]`;
}

function attributeClauses(out: string[], a: AttributeBound): void {
  const c = a.cond;
  const f = attributeFields(a.path);
  if (c.eq !== undefined) out.push(attributeEq(a, c.eq));
  if (c.ne !== undefined) out.push(`-${attributeEq(a, c.ne)}`);
  if (c.any !== undefined) out.push(`(${c.any.map((v) => attributeEq(a, v)).join(' | ')})`);
  if (c.gt !== undefined) out.push(`@${f.num}:[(${finiteNum(a.path, c.gt)} +inf]`);
  if (c.gte !== undefined) out.push(`@${f.num}:[${finiteNum(a.path, c.gte)} +inf]`);
  if (c.lt !== undefined) out.push(`@${f.num}:[-inf (${finiteNum(a.path, c.lt)}]`);
  if (c.lte !== undefined) out.push(`@${f.num}:[-inf ${finiteNum(a.path, c.lte)}]`);
}

/** The agent clauses; false when they can match nothing. */
function agentClauses(out: string[], a: AgentStoreFilter, prefixes: PrefixValues): boolean {
  if (a.agent_id && !tagClauses(out, 'agent_id', false, a.agent_id, prefixes.agent_id)) return false;
  if (a.step) numberClauses(out, 'step_number', a.step);
  if (a.tiers && !tagClauses(out, 'memory_tier', false, { any: a.tiers })) return false;
  if (a.tierStep) numberClauses(out, 'tier_step', a.tierStep);
  const s = a.spatial;
  if (s) {
    out.push(`@loc_kind:{${s.kind === 'xy' ? '1' : '2'}}`);
    out.push(`@loc_x:[${finiteNum('location', s.minX)} ${finiteNum('location', s.maxX)}]`);
    out.push(`@loc_y:[${finiteNum('location', s.minY)} ${finiteNum('location', s.maxY)}]`);
    if (s.circle) {
      if (prefixes.circle === undefined) throw new Error('a circle needs its members from resolveCircle');
      if (prefixes.circle.length === 0) return false;
      out.push(`@hid:{${prefixes.circle.join(' | ')}}`);
    }
  }
  for (const attr of a.attributes ?? []) attributeClauses(out, attr);
  return true;
}

/** Ranges on a plain number field (step_number), with the time operators. */
function numberClauses(out: string[], name: string, b: TimeBounds): void {
  const n = (op: string, v: number) => finiteNum(`${name}.${op}`, v);
  if (b.gt !== undefined) out.push(`@${name}:[(${n('gt', b.gt)} +inf]`);
  if (b.gte !== undefined) out.push(`@${name}:[${n('gte', b.gte)} +inf]`);
  if (b.lt !== undefined) out.push(`@${name}:[-inf (${n('lt', b.lt)}]`);
  if (b.lte !== undefined) out.push(`@${name}:[-inf ${n('lte', b.lte)}]`);
  if (b.eq !== undefined) out.push(`@${name}:[${n('eq', b.eq)} ${n('eq', b.eq)}]`);
  if (b.ne !== undefined) out.push(`-@${name}:[${n('ne', b.ne)} ${n('ne', b.ne)}]`);
}

/** filterQuery for one index, with the values of its `startswith` filters (and a circle's members) read first. */
export async function indexFilterQuery(client: RedisClient, index: string, filter: StoreFilter) {
  const prefixes = await prefixValues(client, index, filter);
  const circle = await resolveCircle(client, index, filter, prefixes);
  if (circle !== undefined) prefixes.circle = circle;
  return filterQuery(filter, prefixes);
}
