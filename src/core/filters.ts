import { invalid } from '../errors.js';
import type { SpatialFilter, StepFilter } from '../models/agent.js';
import { toEpochMs } from '../models/common.js';
import {
  type AgentStoreFilter,
  type MemoryFilter,
  type SpatialBounds,
  type StoreFilter,
  TAG_FIELDS,
  TIME_FIELDS,
  type TimeBounds,
  type TimeFilter,
} from '../models/filters.js';

function bound(field: string, op: string, value: string | number): number {
  const ms = toEpochMs(value);
  if (ms === null) throw invalid(`${field}.${op}: cannot read ${JSON.stringify(value)} as a date-time`);
  return ms;
}

function timeBounds(field: string, f: TimeFilter): TimeBounds {
  const out: TimeBounds = {};
  for (const op of ['gt', 'gte', 'lt', 'lte', 'eq', 'ne'] as const) {
    const v = f[op];
    if (v !== undefined) out[op] = bound(field, op, v);
  }
  if (f.between) {
    const [a, b] = [bound(field, 'between', f.between[0]), bound(field, 'between', f.between[1])];
    if (a > b) throw invalid(`${field}.between: the first date must not be after the second`);
    addBetween(out, a, b, f.inclusive);
  }
  return out;
}

/** `between` as bounds, its ends included or not as `inclusive` says (both by default, as the reference). */
function addBetween(out: TimeBounds, a: number, b: number, inclusive: Inclusive = 'both'): void {
  const low = inclusive === 'both' || inclusive === 'left' ? 'gte' : 'gt';
  const high = inclusive === 'both' || inclusive === 'right' ? 'lte' : 'lt';
  out[low] = Math.max(out[low] ?? a, a);
  out[high] = Math.min(out[high] ?? b, b);
}

type Inclusive = 'both' | 'neither' | 'left' | 'right';

/** The request's filter fields, normalised for the stores (times to epoch ms, `between` to gte+lte). */
export function toStoreFilter(req: Partial<MemoryFilter>): StoreFilter {
  const out: StoreFilter = { tags: {}, times: {} };
  for (const field of TAG_FIELDS) {
    const f = req[field];
    if (f) out.tags[field] = f;
  }
  for (const field of TIME_FIELDS) {
    const f = req[field];
    if (f) out.times[field] = timeBounds(field, f);
  }
  if (req.importance) {
    const { between, inclusive, ...ops } = req.importance;
    out.importance = ops;
    if (between) addBetween(out.importance, between[0], between[1], inclusive);
  }
  if (req.pinned !== undefined) out.pinned = req.pinned;
  const agent = agentFilter(req);
  if (agent) out.agent = agent;
  return out;
}

function stepBounds(f: StepFilter): TimeBounds {
  const { between, ...ops } = f;
  const out: TimeBounds = { ...ops };
  if (between) addBetween(out, between[0], between[1]);
  return out;
}

const METRES_PER_DEGREE = 111_320;
const EARTH_RADIUS_M = 6_371_008.8;

/** A circle or box as a bounding box (an R*Tree's first cut) plus the exact circle the store checks after it. */
export function spatialBounds(f: SpatialFilter): SpatialBounds {
  if ('within' in f) {
    const w = f.within;
    if ('x' in w) {
      return {
        kind: 'xy',
        minX: w.x - w.radius,
        maxX: w.x + w.radius,
        minY: w.y - w.radius,
        maxY: w.y + w.radius,
        circle: { x: w.x, y: w.y, r: w.radius },
      };
    }
    // Degrees of latitude are (nearly) the same length everywhere; of longitude, shorter by cos(lat). A margin of
    // 1 % keeps the box a superset of the circle; near a pole or across the antimeridian every longitude is kept.
    const dLat = (w.radius_m / METRES_PER_DEGREE) * 1.01;
    const minY = Math.max(-90, w.lat - dLat);
    const maxY = Math.min(90, w.lat + dLat);
    const widest = Math.max(Math.abs(minY), Math.abs(maxY));
    const cos = Math.cos((widest * Math.PI) / 180);
    const dLon = cos > 1e-6 ? dLat / cos : 360;
    const wraps =
      widest >= 89.9 || w.lon - dLon < -180 || w.lon + dLon > 180 || w.radius_m >= (Math.PI * EARTH_RADIUS_M) / 2;
    return {
      kind: 'geo',
      minX: wraps ? -180 : w.lon - dLon,
      maxX: wraps ? 180 : w.lon + dLon,
      minY: wraps && w.radius_m >= (Math.PI * EARTH_RADIUS_M) / 2 ? -90 : minY,
      maxY: wraps && w.radius_m >= (Math.PI * EARTH_RADIUS_M) / 2 ? 90 : maxY,
      circle: { lat: w.lat, lon: w.lon, radiusM: w.radius_m },
    };
  }
  const b = f.box;
  if ('min_x' in b) return { kind: 'xy', minX: b.min_x, minY: b.min_y, maxX: b.max_x, maxY: b.max_y };
  return { kind: 'geo', minX: b.min_lon, minY: b.min_lat, maxX: b.max_lon, maxY: b.max_lat };
}

/** Great-circle distance in metres (haversine), as the stores compute it. */
export function geoDistanceM(lat1: number, lon1: number, lat2: number, lon2: number): number {
  const rad = Math.PI / 180;
  const a =
    Math.sin(((lat2 - lat1) * rad) / 2) ** 2 +
    Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(((lon2 - lon1) * rad) / 2) ** 2;
  return 2 * EARTH_RADIUS_M * Math.asin(Math.min(1, Math.sqrt(a)));
}
export { EARTH_RADIUS_M };

function agentFilter(req: Partial<MemoryFilter>): AgentStoreFilter | undefined {
  const out: AgentStoreFilter = {};
  if (req.agent_id) out.agent_id = req.agent_id;
  if (req.step_number) out.step = stepBounds(req.step_number);
  if (req.location) out.spatial = spatialBounds(req.location);
  if (req.attributes) {
    out.attributes = Object.entries(req.attributes).map(([path, cond]) => ({ path, cond }));
  }
  if (req.memory_tiers) out.tiers = [...new Set(req.memory_tiers)];
  return Object.keys(out).length ? out : undefined;
}

/** Attribute filters name declared paths only (AGENT_ATTRIBUTE_PATHS): every store indexes exactly those. */
export function checkAttributePaths(filter: StoreFilter, declared: readonly string[]): void {
  for (const a of filter.agent?.attributes ?? []) {
    if (!declared.includes(a.path)) {
      throw invalid(
        `attributes: '${a.path}' is not a declared attribute path; ${declared.length ? `the declared paths are: ${declared.join(', ')}` : 'none is declared'} (AGENT_ATTRIBUTE_PATHS)`,
      );
    }
  }
}
