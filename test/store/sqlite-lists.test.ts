import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/store/open-store.js';
import type { MemoryStore } from '../../src/store/port.js';
import { asStored } from '../../src/store/sqlite/codec.js';
import { DEFAULT_VECTOR_TUNING } from '../../src/store/sqlite/search.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { listOf, listPlan, modelOf, probeLists, trainLists } from '../../src/store/sqlite/vector-lists.js';
import { filterKey } from '../../src/store/sqlite/vectors.js';
import { cosineDistance } from '../../src/util/cosine.js';
import type { StoreContext } from './conformance/context.js';
import { filterBehaviour } from './conformance/filters.js';
import { searchBehaviour } from './conformance/search.js';
import { DIM, filter, MODEL, mem, noFilter, unitVector } from './records.js';

const dir = mkdtempSync(join(tmpdir(), 'agent-memory-lists-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const stores: SqliteStore[] = [];
afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
});

/** Lists probed until they hold 5% of the memories: with a few thousand memories, a search reads few lists. */
const FEW_LISTS = { ...DEFAULT_VECTOR_TUNING, probeShare: 0.05, probeMinRows: 0 };

async function open(dim: number, minMemories: number, path = join(dir, `db-${++n}.db`)): Promise<SqliteStore> {
  const s = await openSqliteStore({ path });
  stores.push(s);
  s.lists!.tuning = { minMemories, moveBatch: 200 };
  await s.ensureEmbeddingModel(MODEL, dim);
  return s;
}

function rng(seed: number) {
  let s = seed;
  return () => {
    s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
    return s / 2_147_483_648 - 0.5;
  };
}

/** Vectors around `topics` random directions, as sentence embeddings gather around topics. */
function clustered(count: number, dim: number, topics: number, seed: number): Float32Array[] {
  const rnd = rng(seed);
  const centres = Array.from({ length: topics }, () => Array.from({ length: dim }, rnd));
  return Array.from({ length: count }, () => {
    const c = centres[Math.floor((rnd() + 0.5) * topics)]!;
    return unitVector(
      c.map((x) => x + 0.5 * rnd()),
      dim,
    );
  });
}

/** A query near a stored vector: `v` moved a little. */
const near = (v: Float32Array, rnd: () => number) =>
  unitVector(
    [...v].map((x) => x + 0.05 * rnd()),
    v.length,
  );

const tableNames = (s: SqliteStore) =>
  (
    s.db
      .prepare("SELECT name FROM sqlite_master WHERE name IN ('memory_codes_g1', 'memory_listed_codes_g1')")
      .pluck()
      .all() as string[]
  ).sort();

describe('vector lists (training and probing)', () => {
  it('plans a list per 128 memories, from 32 to 1024, trained on 32 vectors a list', () => {
    expect(listPlan(1000)).toEqual({ lists: 32, sample: 1000 });
    expect(listPlan(100_000)).toEqual({ lists: 781, sample: 24_992 });
    expect(listPlan(5_000_000)).toEqual({ lists: 1024, sample: 32_768 });
  });

  it('puts a vector in the list of its nearest centroid, and probes nearest lists first until the share is held', () => {
    const dim = 16;
    const vectors = clustered(2000, dim, 20, 5);
    const rows = new Float32Array(vectors.length * dim);
    for (const [i, v] of vectors.entries()) rows.set(v, i * dim);
    const model = modelOf('t', trainLists(rows, dim, 64));
    const lists = model.listParent.length;
    expect(lists).toBeGreaterThanOrEqual(48);
    expect(lists).toBeLessThanOrEqual(80);
    const shares = [...model.share].reduce((a, b) => a + b, 0);
    expect(shares).toBeGreaterThan(0.99);
    for (const v of vectors.slice(0, 50)) {
      const l = listOf(model, v);
      const probed = probeLists(model, v, 0.1);
      // Its own list is the first probed for a vector itself, or near it: both rank the same children.
      expect(probed.slice(0, 3)).toContain(l);
      const held = probed.reduce((a, p) => a + model.share[p]!, 0);
      expect(held).toBeGreaterThanOrEqual(0.1);
      expect(held - model.share[probed[probed.length - 1]!]!).toBeLessThan(0.1);
    }
  });
});

describe('sqlite vector lists', () => {
  it('trains past the threshold, moves older codes in batches, and finds what an exact scan finds', async () => {
    const dim = 64;
    const s = await open(dim, 4000);
    s.vectorTuning = FEW_LISTS;
    const vectors = clustered(6500, dim, 60, 3);
    const items = vectors.map((vector, i) => mem({ namespace: i % 4 ? 'a' : 'b', vector }));
    await s.putMemories(items.slice(0, 3000), { deduplicate: false });
    await s.lists!.settled();
    expect(tableNames(s)).toEqual(['memory_codes_g1']);
    expect(await s.vectorListCount()).toBe(0);
    await s.putMemories(items.slice(3000, 6000), { deduplicate: false });
    await s.lists!.settled();
    // Every code moved to its list, and the unlisted table dropped; the next writes go to their lists.
    expect(tableNames(s)).toEqual(['memory_listed_codes_g1']);
    expect(await s.vectorListCount()).toBeGreaterThan(20);
    await s.putMemories(items.slice(6000), { deduplicate: false });
    expect(s.db.prepare('SELECT count(*) FROM memory_listed_codes_g1').pluck().get()).toBe(6500);
    // The filter keys go with each code, moved or written into its list.
    const keyed = s.db
      .prepare(
        'SELECT m.namespace AS ns, c.namespace_key AS key FROM memory_listed_codes_g1 c JOIN memories m ON m.pk = c.rowid',
      )
      .safeIntegers()
      .all() as { ns: string; key: bigint }[];
    expect(keyed).toHaveLength(6500);
    for (const r of keyed) expect(r.key).toBe(filterKey(r.ns));

    const rnd = rng(11);
    const queries = Array.from({ length: 40 }, (_, i) => near(vectors[i * 37]!, rnd));
    // Recall@10 against the exact scan, probing the nearest lists, then searching every code (the path the lists
    // replace, which takes its candidates by Hamming distance too): the lists lose next to nothing.
    for (const [f, keep] of [
      [noFilter(), () => true],
      [filter({ namespace: { eq: 'a' } }), (i: number) => i % 4 !== 0],
    ] as const) {
      const recall = async (tuning: typeof FEW_LISTS) => {
        s.vectorTuning = tuning;
        let found = 0;
        for (const q of queries) {
          const exact = vectors
            .map((v, i) => ({ d: cosineDistance(asStored(q), asStored(v)), i }))
            .filter((e) => keep(e.i))
            .sort((a, b) => a.d - b.d);
          const page = await s.vectorSearch(q, f, 10);
          expect(page.items).toHaveLength(10);
          for (const h of page.items) expect(keep(items.findIndex((m) => m.record.id === h.id))).toBe(true);
          found += page.items.filter((h) => h.distance <= exact[9]!.d + 1e-6).length;
        }
        return found / (10 * queries.length);
      };
      const listed = await recall(FEW_LISTS);
      const everyCode = await recall({ ...FEW_LISTS, probeShare: 1 });
      expect(listed).toBeGreaterThanOrEqual(0.9);
      expect(listed).toBeGreaterThanOrEqual(everyCode - 0.02);
    }
  });

  it('never serves a deleted memory, follows a changed vector to its new list, and serves other connections', async () => {
    const dim = 32;
    const path = join(dir, `db-${++n}.db`);
    const s = await open(dim, 1000, path);
    s.vectorTuning = FEW_LISTS;
    const vectors = clustered(2000, dim, 30, 8);
    const items = vectors.map((vector) => mem({ vector }));
    await s.putMemories(items, { deduplicate: false });
    await s.lists!.settled();
    expect(await s.vectorListCount()).toBeGreaterThan(0);

    const gone = items.slice(0, 20).map((m) => m.record.id);
    expect(await s.deleteMemories(gone)).toBe(20);
    for (const v of vectors.slice(0, 20)) {
      const page = await s.vectorSearch(v, noFilter(), 5);
      for (const h of page.items) expect(gone).not.toContain(h.id);
    }

    // Memory 100 takes memory 1500's vector (another list, most likely): found first there.
    const moved = { ...items[100]!, vector: vectors[1500]! };
    await s.putMemories([moved], { deduplicate: false });
    const page = await s.vectorSearch(vectors[1500]!, noFilter(), 2);
    expect(page.items.map((h) => h.id).sort()).toEqual([items[100]!.record.id, items[1500]!.record.id].sort());
    expect(page.items[0]!.distance).toBeCloseTo(0, 3);

    // A second store on the file (another process, as far as SQLite can tell) writes into the lists and probes them.
    const other = await open(dim, 1000, path);
    other.vectorTuning = FEW_LISTS;
    const fresh = mem({ vector: near(vectors[700]!, rng(3)) });
    await other.putMemories([fresh], { deduplicate: false });
    expect(
      s.db
        .prepare('SELECT count(*) FROM memory_listed_codes_g1 WHERE rowid = (SELECT pk FROM memories WHERE id = ?)')
        .pluck()
        .get(fresh.record.id),
    ).toBe(1);
    expect((await s.vectorSearch(fresh.vector, noFilter(), 1)).items[0]!.id).toBe(fresh.record.id);
    expect((await other.vectorSearch(vectors[1500]!, noFilter(), 1)).items[0]!.distance).toBeCloseTo(0, 3);
  });

  it('a memory rewritten while older codes are moving leaves no copy behind in the unlisted table', async () => {
    const dim = 16;
    const s = await open(dim, 1000);
    s.lists!.tuning = { minMemories: 1000, moveBatch: 1 };
    const vectors = clustered(1500, dim, 10, 6);
    const items = vectors.map((vector) => mem({ vector }));
    await s.putMemories(items, { deduplicate: false });
    // Ready when the lists exist: the codes then move one per transaction, from the first row on.
    while ((await s.vectorListCount()) === 0) await new Promise((r) => setImmediate(r));
    expect(tableNames(s)).toEqual(['memory_codes_g1', 'memory_listed_codes_g1']);
    const last = { ...items[1499]!, vector: vectors[3]! };
    await s.putMemories([last], { deduplicate: false });
    await s.lists!.settled();
    expect(tableNames(s)).toEqual(['memory_listed_codes_g1']);
    expect(s.db.prepare('SELECT count(*) FROM memory_listed_codes_g1').pluck().get()).toBe(1500);
    const hits = (await s.vectorSearch(vectors[3]!, noFilter(), 2)).items.map((h) => h.id).sort();
    expect(hits).toEqual([items[3]!.record.id, items[1499]!.record.id].sort());
  });

  it('a new vector generation (re-embedding) starts without lists and trains its own', async () => {
    const s = await open(16, 500);
    await s.putMemories(
      clustered(800, 16, 10, 4).map((vector, i) => mem({ text: `memory ${i}`, vector })),
      { deduplicate: false },
    );
    await s.lists!.settled();
    expect(await s.vectorListCount()).toBeGreaterThan(0);
    const rnd = rng(9);
    await s.reembedAll('other-model', 24, async (texts) =>
      texts.map(() => unitVector(Array.from({ length: 24 }, rnd), 24)),
    );
    expect(await s.vectorListCount()).toBe(0);
    s.lists!.kick();
    await s.lists!.settled();
    expect(await s.vectorListCount()).toBeGreaterThan(0);
    const names = s.db.prepare("SELECT name FROM sqlite_master WHERE name GLOB 'memory_lists_g*'").pluck().all();
    expect(names).toEqual(['memory_lists_g2']);
  });
});

describe('SQLITE_VECTOR_LISTS_MIN', () => {
  it('sets the size at which lists are trained, 0 for never, and refuses what is not a whole number', async () => {
    expect(loadConfig({}).sqliteVectorListsMin).toBe(100_000);
    expect(() => loadConfig({ SQLITE_VECTOR_LISTS_MIN: '-1' })).toThrow(/SQLITE_VECTOR_LISTS_MIN/);
    expect(() => loadConfig({ SQLITE_VECTOR_LISTS_MIN: 'lots' })).toThrow(/SQLITE_VECTOR_LISTS_MIN/);
    const path = join(dir, `db-${++n}.db`);
    const s = (await openStore(
      loadConfig({ MEMORY_BACKEND: 'sqlite', SQLITE_PATH: path, SQLITE_VECTOR_LISTS_MIN: '0' }),
    )) as SqliteStore;
    stores.push(s);
    expect(s.lists!.tuning.minMemories).toBe(0);
    await s.ensureEmbeddingModel(MODEL, 8);
    await s.putMemories(
      clustered(300, 8, 5, 2).map((vector) => mem({ vector })),
      { deduplicate: false },
    );
    await s.lists!.settled();
    expect(await s.vectorListCount()).toBe(0);
  });
});

describe('conformance, with every vector search in the lists', () => {
  let current: SqliteStore | undefined;
  /** Each search waits for the lists to be trained and every code moved, so the listed path is the one tested. */
  const ctx: StoreContext = {
    stored: asStored,
    get store(): MemoryStore {
      const s = current;
      if (!s) throw new Error('store not open');
      return new Proxy(s, {
        get(target, key) {
          const value = Reflect.get(target, key, target) as unknown;
          if (typeof value !== 'function') return value;
          if (key !== 'vectorSearch') return value.bind(target);
          return async (...args: unknown[]) => {
            await target.lists!.settled();
            return (value as (...a: unknown[]) => unknown).apply(target, args);
          };
        },
      });
    },
  };
  beforeEach(async () => {
    current = await open(DIM, 1);
    current.vectorTuning = { exactScanMax: 0, rowsPerCandidate: 0, minCandidates: 64, probeShare: 1, probeMinRows: 0 };
  });
  describe('search', () => searchBehaviour(ctx));
  describe('filters', () => filterBehaviour(ctx));
});
