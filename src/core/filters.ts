import { invalid } from '../errors.js';
import { toEpochMs } from '../models/common.js';
import {
  type MemoryFilter,
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
  return out;
}
