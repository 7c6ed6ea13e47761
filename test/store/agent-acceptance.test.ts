import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  GRID_ATTRIBUTE_PATHS,
  GRID_DIM,
  type GridState,
  gridMemory,
  moodVector,
  simulate,
} from '../../bench/agent-grid.js';
import { spatialBounds } from '../../src/core/filters.js';
import type { StoreFilter } from '../../src/models/filters.js';
import type { MemoryStore } from '../../src/store/port.js';
import { asStored } from '../../src/store/sqlite/codec.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { cosineDistance } from '../../src/util/cosine.js';
import { freshStore, noRedis, noSearch } from './redis-helpers.js';

/**
 * The acceptance test of issue 15: 3 agents walk a grid for 10,000 steps (30,000 states); a step range, a radius,
 * an attribute threshold, importance ≥ 0.5 and a combined similarity + radius + step range + importance query
 * must give exactly what a brute-force pass over the simulation gives, on SQLite and on Redis alike.
 */
const STATES = simulate(3, 10_000);
const BATCH = 1000;
const dir = mkdtempSync(join(tmpdir(), 'agent-memory-grid-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CENTRE = { x: 45, y: 52 };
const inCircle = (s: GridState, r: number) => (s.x - CENTRE.x) ** 2 + (s.y - CENTRE.y) ** 2 <= r * r;
const QUERY_VECTOR = moodVector('curious', 0.5);
const MAX_DISTANCE = 0.3;

interface Case {
  name: string;
  filter: StoreFilter;
  keep: (s: GridState) => boolean;
}
const f = (over: Partial<StoreFilter>): StoreFilter => ({ tags: {}, times: {}, ...over });
const CASES: Case[] = [
  {
    name: 'step range',
    filter: f({ agent: { step: { gte: 4000, lte: 4999 } } }),
    keep: (s) => s.step >= 4000 && s.step <= 4999,
  },
  {
    name: 'radius around a point',
    filter: f({ agent: { spatial: spatialBounds({ within: { ...CENTRE, radius: 6 } }) } }),
    keep: (s) => inCircle(s, 6),
  },
  {
    name: 'attribute threshold',
    filter: f({ agent: { attributes: [{ path: 'content.health', cond: { lt: 0.25 } }] } }),
    keep: (s) => s.health < 0.25,
  },
  { name: 'importance >= 0.5', filter: f({ importance: { gte: 0.5 } }), keep: (s) => s.importance >= 0.5 },
];
const COMBINED = f({
  importance: { gte: 0.5 },
  agent: { step: { gte: 1000, lte: 8999 }, spatial: spatialBounds({ within: { ...CENTRE, radius: 10 } }) },
});
const keepCombined = (s: GridState) => s.importance >= 0.5 && s.step >= 1000 && s.step <= 8999 && inCircle(s, 10);

async function load(store: MemoryStore): Promise<void> {
  await store.ensureEmbeddingModel('grid-test', GRID_DIM);
  for (let i = 0; i < STATES.length; i += BATCH) {
    await store.putMemories(STATES.slice(i, i + BATCH).map(gridMemory), { deduplicate: false });
  }
}

const sortedIds = (xs: { id: string }[]) => xs.map((x) => x.id).sort();

/** `stored`: a vector as the store keeps it (SQLite: int8), for the brute-force reference. */
function checks(name: string, open: () => Promise<MemoryStore>, stored = (v: Float32Array) => v) {
  describe(name, () => {
    let store: MemoryStore;
    it('stores 30,000 states in batches', async () => {
      store = await open();
      await load(store);
      expect(await store.countMemories(f({}))).toBe(30_000);
    }, 240_000);

    for (const c of CASES) {
      it(`${c.name}: the same memories as brute force, with a true total`, async () => {
        const expected = STATES.filter(c.keep);
        expect(expected.length).toBeGreaterThan(50);
        const page = await store.listMemories(c.filter, 30_000, 0);
        expect(page.total).toBe(expected.length);
        expect(sortedIds(page.items)).toEqual(sortedIds(expected));
        expect(await store.countMemories(c.filter)).toBe(expected.length);
        // A first page is the newest of them, with the same total.
        const first = await store.listMemories(c.filter, 10, 0);
        expect(first.total).toBe(expected.length);
        const newest = [...expected].sort((a, b) => b.step - a.step || (a.id < b.id ? -1 : 1)).slice(0, 10);
        expect(first.items.map((r) => r.id)).toEqual(newest.map((s) => s.id));
      }, 120_000);
    }

    it('similarity + radius + step range + importance: the brute-force set, nearest first', async () => {
      const expected = STATES.filter(keepCombined)
        .map((s) => ({ id: s.id, d: cosineDistance(stored(QUERY_VECTOR), stored(s.vector)) }))
        .filter((h) => h.d <= MAX_DISTANCE)
        .sort((a, b) => a.d - b.d);
      expect(expected.length).toBeGreaterThan(10);
      const hits = await store.vectorSearch(QUERY_VECTOR, COMBINED, 5000, MAX_DISTANCE);
      expect(hits.total).toBe(expected.length);
      expect(sortedIds(hits.items)).toEqual(sortedIds(expected));
      for (let i = 1; i < hits.items.length; i++) {
        expect(hits.items[i]!.distance).toBeGreaterThanOrEqual(hits.items[i - 1]!.distance - 1e-6);
      }
      const byId = new Map(expected.map((h) => [h.id, h.d]));
      for (const h of hits.items) expect(h.distance).toBeCloseTo(byId.get(h.id)!, 4);
      // The filter alone (no distance bound) counts every filtered memory.
      const all = await store.vectorSearch(QUERY_VECTOR, COMBINED, 10);
      expect(all.total).toBe(STATES.filter(keepCombined).length);
      await store.close();
    }, 120_000);
  });
}

checks(
  'agent grid on SQLite (file)',
  () => openSqliteStore({ path: join(dir, 'grid.db'), attributePaths: GRID_ATTRIBUTE_PATHS }),
  asStored,
);
if (noRedis || noSearch) {
  describe.skip(`agent grid on Redis (skipped: ${noRedis ?? noSearch})`, () => {});
} else {
  checks('agent grid on Redis', () => freshStore({ attributePaths: GRID_ATTRIBUTE_PATHS }));
}
