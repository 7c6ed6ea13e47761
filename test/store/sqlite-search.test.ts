import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OfflineEmbedder } from '../../src/llm/offline-embedder.js';
import { SIMILARITY_SAMPLE } from '../../src/store/port.js';
import { asStored } from '../../src/store/sqlite/codec.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { codeSpecFor, encode } from '../../src/store/sqlite/vectors.js';
import { cosineDistance } from '../../src/util/cosine.js';
import type { StoreContext } from './conformance/context.js';
import { filterBehaviour } from './conformance/filters.js';
import { searchBehaviour } from './conformance/search.js';
import { DIM, filter, MODEL, mem, noFilter, unitVector } from './records.js';
import { UNDO_AGENT_COLUMNS, undoKeywordRows, undoQuantizedVectors } from './sqlite-old-schemas.js';

/** Every vector search takes the binary-code path, whatever the number of memories. */
const COARSE = { exactScanMax: 0, rowsPerCandidate: 0, minCandidates: 64 };

const dir = mkdtempSync(join(tmpdir(), 'agent-memory-search-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `db-${++n}.db`);

let current: SqliteStore | undefined;
const ctx: StoreContext = {
  stored: asStored,
  get store() {
    if (!current) throw new Error('store not open');
    return current;
  },
};
afterEach(async () => {
  await current?.close();
  current = undefined;
});

async function open(dim = DIM, path = ':memory:'): Promise<SqliteStore> {
  current = await openSqliteStore({ path });
  await current.ensureEmbeddingModel(MODEL, dim);
  return current;
}

describe('sqlite vector search by binary codes', () => {
  describe('conformance, with every vector search on binary codes', () => {
    beforeEach(async () => {
      (await open()).vectorTuning = COARSE;
    });
    describe('search', () => searchBehaviour(ctx));
    describe('filters', () => filterBehaviour(ctx));
  });

  /** Offline-embedder vectors of random sentences over a small vocabulary, like the texts it embeds. */
  async function sentenceVectors(count: number, seed: number): Promise<Float32Array[]> {
    let s = seed;
    const rnd = () => {
      s = (s * 1_103_515_245 + 12_345) % 2_147_483_648;
      return s / 2_147_483_648;
    };
    const vocabulary = Array.from({ length: 300 }, (_, i) => `w${(i * 7919) % 1000}x${i % 13}`);
    const texts = Array.from({ length: count }, () =>
      Array.from({ length: 4 + Math.floor(rnd() * 8) }, () => vocabulary[Math.floor(rnd() ** 2 * 300)]).join(' '),
    );
    return new OfflineEmbedder().embed(texts);
  }

  /**
   * Random bags of words are hard for binary codes (no topic structure, many near ties): with 64 candidates ~80% of
   * the hits are among the exact top 10 (the synthetic bench corpus: 99%); with every memory a candidate, all are.
   */
  it.each([
    [64, 0.7],
    [4096, 1],
  ])('with %i candidates: exact distances, filters honoured, %f of the exact top hits', async (candidates, share) => {
    const s = await open(256);
    const vectors = await sentenceVectors(3000, 7);
    const items = vectors.map((vector, i) =>
      mem({ namespace: i % 3 ? 'a' : 'b', topics: i % 2 ? ['odd'] : [], vector }),
    );
    await s.putMemories(items, { deduplicate: false });
    const queries = await sentenceVectors(30, 99);
    s.vectorTuning = { ...COARSE, minCandidates: candidates };
    for (const [f, keep] of [
      [noFilter(), () => true],
      [filter({ namespace: { eq: 'a' } }), (i: number) => i % 3 !== 0],
      [filter({ namespace: { eq: 'a' }, topics: { eq: 'odd' } }), (i: number) => i % 3 !== 0 && i % 2 === 1],
    ] as const) {
      let near = 0;
      for (const q of queries) {
        const exact = items
          .map((m, i) => ({ id: m.record.id, d: cosineDistance(asStored(q), asStored(vectors[i]!)), i }))
          .filter((e) => keep(e.i))
          .sort((a, b) => a.d - b.d);
        const page = await s.vectorSearch(q, f, 10);
        expect(page.total).toBe(exact.length);
        expect(page.items).toHaveLength(10);
        const byId = new Map(exact.map((e) => [e.id, e.d]));
        for (const [j, h] of page.items.entries()) {
          expect(byId.has(h.id)).toBe(true);
          expect(h.distance).toBeCloseTo(byId.get(h.id)!, 5);
          if (j > 0) expect(h.distance).toBeGreaterThanOrEqual(page.items[j - 1]!.distance);
        }
        // Ties make "the" exact top 10 ambiguous: a hit counts when it is as near as the exact 10th.
        near += page.items.filter((h) => h.distance <= exact[9]!.d + 1e-6).length;
      }
      expect(near / (10 * queries.length)).toBeGreaterThanOrEqual(share);
    }
  });

  it('codes: levels with padding for stored vectors only, signs for large dimensions', () => {
    const spec = codeSpecFor(4)!;
    expect(spec.bits).toBe(64);
    const v = new Float32Array([0.9, -0.4, 0.1, 0]);
    // Level 0 (x > 0: bits 0-3, x < 0: bits 4-7), level 0.75 (bits 8-15: only 0.9 > 0.75), then padding from bit
    // 16: 0.75 x (4 dimensions - 4 bits set) = 0.
    expect([...encode(v, spec).subarray(0, 3)]).toEqual([0b0010_0101, 0b0000_0001, 0]);
    const sparse = new Float32Array([0, -0.9, 0, 0]);
    // Bits 5 and 13 set, then round(0.75 x (4 - 2)) = 2 padding bits, for stored vectors only.
    expect([...encode(sparse, spec).subarray(0, 3)]).toEqual([0b0010_0000, 0b0010_0000, 0b0000_0011]);
    expect([...encode(sparse, spec, true).subarray(0, 3)]).toEqual([0b0010_0000, 0b0010_0000, 0]);
    expect(codeSpecFor(1536)).toEqual({ kind: 'sign', levels: [0], bits: 1536 });
    expect(codeSpecFor(9000)).toBeNull();
  });
});

describe('sqlite similarity figures over a sample', () => {
  it('samples about SIMILARITY_SAMPLE of many filtered memories, spread over interleaved writes, kept until a write', async () => {
    const s = await open();
    let seed = 7;
    const rnd = () => {
      seed = (seed * 1_103_515_245 + 12_345) % 2_147_483_648;
      return seed / 2_147_483_648 - 0.5;
    };
    // Four namespaces written in turn: a sample taking every fourth row would be all one namespace, or none.
    const items = Array.from({ length: 6000 }, (_, i) =>
      mem({ namespace: `ns${i % 4}`, vector: unitVector(Array.from({ length: DIM }, rnd)) }),
    );
    await s.putMemories(items, { deduplicate: false });
    const q = unitVector([1, 1, 0, 0, 0, 0, 0, 0]);
    const exact = (ns: string) => {
      const sims = items
        .filter((m) => m.record.namespace === ns)
        .map((m) => m.vector!.reduce((a, x, j) => a + x * q[j]!, 0));
      const mean = sims.reduce((a, x) => a + x, 0) / sims.length;
      return { mean, sd: Math.sqrt(sims.reduce((a, x) => a + (x - mean) ** 2, 0) / sims.length) };
    };
    const f = filter({ namespace: { eq: 'ns2' } });
    const page = await s.vectorSearch(q, f, 10, undefined, { similarity: true });
    const st = page.similarity!;
    expect(page.total).toBe(1500);
    expect(st.n).toBeGreaterThan(SIMILARITY_SAMPLE * 0.7);
    expect(st.n).toBeLessThan(SIMILARITY_SAMPLE * 1.3);
    const truth = exact('ns2');
    expect(Math.abs(st.mean - truth.mean)).toBeLessThan(0.05);
    expect(st.sd / truth.sd).toBeGreaterThan(0.8);
    expect(st.sd / truth.sd).toBeLessThan(1.2);
    // The same sample on the next search; a write anywhere makes it read again.
    expect((await s.vectorSearch(q, f, 10, undefined, { similarity: true })).similarity).toEqual(st);
    const near = Array.from({ length: 400 }, () => mem({ namespace: 'ns2', vector: q }));
    await s.putMemories(near, { deduplicate: false });
    const after = (await s.vectorSearch(q, f, 10, undefined, { similarity: true })).similarity!;
    expect(after.mean).toBeGreaterThan(st.mean + 0.1);
  });
});

describe('sqlite keyword search with a namespace filter every memory passes', () => {
  it('ranks as without the filter, and still honours the filter when the counts are off', async () => {
    const s = await open();
    await s.putMemories(
      Array.from({ length: 30 }, (_, i) => mem({ namespace: 'all', terms: `kiwi ${'x '.repeat(i % 7)}` })),
      { deduplicate: false },
    );
    const plain = await s.keywordSearch(['kiwi'], noFilter(), 10);
    expect(await s.keywordSearch(['kiwi'], filter({ namespace: { eq: 'all' } }), 10)).toEqual(plain);
    // Another process's write between the counts and the search looks like this: counts saying every memory is in
    // 'all' while one is not.
    const other = mem({ namespace: 'other', terms: 'kiwi' });
    await s.putMemories([other], { deduplicate: false });
    s.db.prepare("UPDATE memory_counts SET n = n + 1 WHERE key = 'ns:all'").run();
    const hits = await s.keywordSearch(['kiwi'], filter({ namespace: { eq: 'all' } }), 31);
    expect(hits.items.map((h) => h.id)).not.toContain(other.record.id);
    expect(hits.items).toHaveLength(30);
    expect(hits.total).toBe(30);
  });

  it('breaks score ties by insertion order', async () => {
    const s = await open();
    const items = ['z', 'a', 'm'].map((id) => mem({ id, terms: 'same words' }));
    await s.putMemories([...items, mem({ terms: 'filler' }), mem({ terms: 'filler' })], { deduplicate: false });
    for (const f of [noFilter(), filter({}, {}, false)]) {
      expect((await s.keywordSearch(['same'], f, 2)).items.map((h) => h.id)).toEqual(['z', 'a']);
    }
  });
});

describe('memory_counts', () => {
  it('follows inserts, deletes and namespace moves', async () => {
    const s = await open();
    const counts = () =>
      Object.fromEntries(
        (s.db.prepare('SELECT key, n FROM memory_counts WHERE n != 0').all() as { key: string; n: number }[]).map(
          (r) => [r.key, r.n],
        ),
      );
    const a = mem({ namespace: 'a' });
    const b = mem({ namespace: 'b' });
    await s.putMemories([a, b, mem({ namespace: 'a' }), mem({ namespace: null })], { deduplicate: false });
    expect(counts()).toEqual({ '*': 4, 'ns:a': 2, 'ns:b': 1 });
    await s.putMemories([{ ...a, record: { ...a.record, namespace: 'b' } }], { deduplicate: false });
    await s.putMemories([{ ...b, record: { ...b.record, namespace: null } }], { deduplicate: false });
    expect(counts()).toEqual({ '*': 4, 'ns:a': 1, 'ns:b': 1 });
    await s.deleteMemories([a.record.id]);
    expect(counts()).toEqual({ '*': 3, 'ns:a': 1 });
    expect((await s.vectorSearch(new Float32Array(DIM).fill(1), filter({ namespace: { eq: 'a' } }), 5)).total).toBe(1);
    // Kept by the insert itself: an insert trigger would make every insert keep a statement journal (migration 14).
    expect(
      s.db
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND sql LIKE '%AFTER INSERT ON memories%'")
        .all(),
    ).toEqual([]);
  });
});

describe('schema upgrade from float vector indexes (version 2)', () => {
  it('rebuilds binary codes, counts and the search index, and searches the same', async () => {
    const path = freshPath();
    const s = await open(DIM, path);
    const items = Array.from({ length: 40 }, (_, i) =>
      mem({
        namespace: i % 2 ? 'a' : null,
        terms: `word${i % 5}`,
        vector: new Float32Array(DIM).map((_, j) => Math.sin(i * (j + 1))),
      }),
    );
    await s.putMemories(items, { deduplicate: false });
    const q = new Float32Array(DIM).map((_, j) => Math.cos(j));
    s.vectorTuning = COARSE;
    const before = await s.vectorSearch(q, filter({ namespace: { eq: 'a' } }), 5);
    // Back to what version 2 left: a float vec0 table, no codes, counts or search index.
    undoQuantizedVectors(s.db);
    undoKeywordRows(s.db);
    s.db.exec(`
      DROP TABLE memory_codes_g1;
      CREATE VIRTUAL TABLE memory_vec_g1 USING vec0 (embedding float[${DIM}] distance_metric=cosine);
      INSERT INTO memory_vec_g1 (rowid, embedding) SELECT memory_rowid, embedding FROM memory_vectors_g1;
      DROP TRIGGER IF EXISTS memory_counts_insert; DROP TRIGGER memory_counts_delete; DROP TRIGGER memory_counts_move;
      DROP TABLE memory_counts; DROP INDEX memories_search; DROP TABLE activity; DROP INDEX memories_updated_at;
      DROP TABLE summary_views; DROP TABLE summary_view_partitions;
      ${UNDO_AGENT_COLUMNS}
      UPDATE meta SET value = '2' WHERE key = 'schema_version';
    `);
    await s.close();
    current = undefined;

    const t = await open(DIM, path);
    t.vectorTuning = COARSE;
    const names = (
      t.db.prepare("SELECT name FROM sqlite_master WHERE name GLOB 'memory_*_g1'").all() as {
        name: string;
      }[]
    ).map((r) => r.name);
    expect(names.sort()).toEqual(['memory_codes_g1', 'memory_vectors_g1']);
    expect(await t.vectorSearch(q, filter({ namespace: { eq: 'a' } }), 5)).toEqual(before);
    expect(t.db.prepare("SELECT n FROM memory_counts WHERE key = 'ns:a'").pluck().get()).toBe(20);
    expect(t.db.prepare("SELECT n FROM memory_counts WHERE key = '*'").pluck().get()).toBe(40);
    // Migration 8 leaves the keyword index for the engine to fill (the store has no analyser): it says so.
    expect(await t.keywordIndexPending()).toBe(true);
    const byId = new Map(items.map((m) => [m.record.id, m]));
    const filled = await t.rebuildKeywordIndex(
      (records) => records.map((r) => ({ id: r.id, terms: byId.get(r.id)!.terms, contextTerms: '' })),
      undefined,
      { onlyIfPending: true },
    );
    expect(filled).toBe(40);
    expect(await t.keywordIndexPending()).toBe(false);
    expect((await t.keywordSearch(['word1'], filter({ namespace: { eq: 'a' } }), 50)).total).toBe(4);
    // Once filled, a rebuild only if pending does nothing.
    expect(await t.rebuildKeywordIndex(() => [], undefined, { onlyIfPending: true })).toBe(0);
  });
});
