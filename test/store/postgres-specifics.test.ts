import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { MemoryError } from '../../src/errors.js';
import type { MemoryStore } from '../../src/store/port.js';
import { LATEST_SCHEMA_VERSION } from '../../src/store/postgres/migrations.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { archiveBehaviour } from './archive-behaviour.js';
import { rejection } from './conformance/context.js';
import { freshSchema, freshStore, harness } from './postgres-helpers.js';
import { DIM, filter, MODEL, mem, message, noFilter, unitVector } from './records.js';

const open: MemoryStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function store(dim = DIM): Promise<PostgresStore> {
  const s = await freshStore();
  open.push(s);
  await s.ensureEmbeddingModel(MODEL, dim);
  return s;
}
/** More stores on one schema, as several server processes would open it (closed without dropping it). */
async function sameSchema(schema: string, n: number): Promise<PostgresStore[]> {
  const stores = await Promise.all(
    Array.from({ length: n }, () => openPostgresStore({ url: harness.url, schema, poolSize: 1 })),
  );
  open.push(...stores);
  return stores;
}

/** A deterministic spread of vectors (no two equal), so exact and approximate rankings can be compared. */
const vectorOf = (i: number, dim = DIM) =>
  unitVector(
    Array.from({ length: dim }, (_, j) => Math.sin(i * 7.3 + j * 1.9) + Math.cos(i * j * 0.37)),
    dim,
  );

describe('postgres archived messages and extraction marks', () => archiveBehaviour(() => freshStore()));

describe('postgres vector search through the HNSW index', () => {
  it('gives the exact scan’s hits, filtered or not, once the filtered set is above the exact-scan limit', async () => {
    const s = await store();
    const items = Array.from({ length: 400 }, (_, i) => mem({ namespace: i % 3 ? 'a' : 'b', vector: vectorOf(i) }));
    await s.putMemories(items, { deduplicate: false });
    const index = { exactScanMax: 50, minFilteredShare: 0, minCandidates: 64 };
    const exact = { ...index, exactScanMax: Number.POSITIVE_INFINITY };
    for (let qi = 0; qi < 6; qi++) {
      const q = vectorOf(1000 + qi);
      for (const f of [noFilter(), filter({ namespace: { eq: 'a' } })]) {
        s.vectorTuning = index;
        const viaIndex = await s.vectorSearch(q, f, 10, undefined, { similarity: true });
        s.vectorTuning = exact;
        const viaScan = await s.vectorSearch(q, f, 10, undefined, { similarity: true });
        expect(viaIndex.items.map((h) => h.id)).toEqual(viaScan.items.map((h) => h.id));
        expect(viaIndex.total).toBe(viaScan.total);
        // Up to SIMILARITY_EXACT_MAX memories the figures are over every filtered one, whichever path searched.
        expect(viaIndex.similarity?.n).toBe(viaScan.total);
        expect(viaIndex.similarity?.mean).toBeCloseTo(viaScan.similarity!.mean, 9);
      }
    }
  });

  it('indexes half-precision copies above 2000 dimensions and still ranks by the exact distance', async () => {
    const dim = 2048;
    const s = await store(dim);
    const indexes = await s.db.rows<{ indexdef: string }>(
      'SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND indexdef LIKE $2',
      [s.schema!.replaceAll('"', ''), '%hnsw%'],
    );
    expect(indexes.map((r) => r.indexdef).join()).toContain('halfvec_cosine_ops');
    const items = Array.from({ length: 30 }, (_, i) => mem({ vector: vectorOf(i, dim) }));
    await s.putMemories(items, { deduplicate: false });
    const q = vectorOf(5, dim);
    s.vectorTuning = { exactScanMax: 10, minFilteredShare: 0, minCandidates: 64 };
    const viaIndex = await s.vectorSearch(q, noFilter(), 5);
    s.vectorTuning = { exactScanMax: Number.POSITIVE_INFINITY, minFilteredShare: 0, minCandidates: 64 };
    const viaScan = await s.vectorSearch(q, noFilter(), 5);
    expect(viaIndex.items.map((h) => h.id)).toEqual(viaScan.items.map((h) => h.id));
    expect(viaIndex.items[0]!.id).toBe(items[5]!.record.id);
    expect(viaIndex.items[0]!.distance).toBeCloseTo(0, 6);
  });
});

describe('postgres keyword search', () => {
  it('scores BM25 as SQLite FTS5 does, so rankings and ceilings match across stores', async () => {
    const pgStore = await store();
    const sqlite = await openSqliteStore({ path: ':memory:' });
    open.push(sqlite);
    await sqlite.ensureEmbeddingModel(MODEL, DIM);
    const vocabulary = ['apple', 'pear', 'fig', 'plum', 'kiwi', 'lime', 'date', 'nut'];
    const items = Array.from({ length: 60 }, (_, i) =>
      mem({
        namespace: i % 2 ? 'odd' : 'even',
        terms: Array.from({ length: 1 + (i % 7) }, (_, j) => vocabulary[(i * 3 + j * j) % vocabulary.length]).join(' '),
        contextTerms: i % 3 ? `${vocabulary[i % vocabulary.length]} other words` : '',
      }),
    );
    for (const s of [pgStore, sqlite]) await s.putMemories(items, { deduplicate: false });
    for (const terms of [['apple'], ['pear', 'fig'], ['plum', 'kiwi', 'nut'], ['other', 'lime']]) {
      for (const f of [noFilter(), filter({ namespace: { eq: 'odd' } })]) {
        for (const contextWeight of [0.5, 2]) {
          const [a, b] = await Promise.all(
            [pgStore, sqlite].map((s) => s.keywordSearch(terms, f, 15, { contextWeight })),
          );
          expect(a!.total).toBe(b!.total);
          expect(a!.items.map((h) => h.id)).toEqual(b!.items.map((h) => h.id));
          for (const [i, hit] of a!.items.entries()) expect(hit.score).toBeCloseTo(b!.items[i]!.score, 9);
        }
      }
      expect(await pgStore.keywordCeiling(terms)).toBeCloseTo(await sqlite.keywordCeiling(terms), 9);
    }
  });
});

describe('postgres keyword index rebuild', () => {
  it('rebuilds every memory’s terms from the records, keeping the BM25 statistics exact', async () => {
    const s = await store();
    const items = ['walrus tusk', 'seal pup', 'otter'].map((terms) => mem({ terms }));
    await s.putMemories(items, { deduplicate: false });
    const progress: [number, number][] = [];
    const rebuilt = await s.rebuildKeywordIndex(
      (records) =>
        records
          .filter((r) => r.id !== items[2]!.record.id)
          .map((r) => ({ id: r.id, terms: `${r.text} rebuilt`, contextTerms: 'ctx' })),
      (done, total) => progress.push([done, total]),
    );
    expect(rebuilt).toBe(2);
    expect(progress.at(-1)).toEqual([2, 3]);
    expect((await s.keywordSearch(['walrus'], noFilter(), 5)).total).toBe(0);
    expect((await s.keywordSearch(['rebuilt'], noFilter(), 5)).total).toBe(2);
    expect((await s.keywordSearch(['otter'], noFilter(), 5)).total).toBe(0);
    const stats = await s.db.one<{ docs: number; tokens: number; lengths: number }>(
      `SELECT (SELECT sum(docs) FROM keyword_stats)::float8 AS docs, (SELECT sum(tokens) FROM keyword_stats)::float8 AS tokens,
         (SELECT sum(tf + ctf) FROM memory_terms)::float8 AS lengths`,
    );
    expect(stats).toEqual({ docs: 3, tokens: stats!.lengths, lengths: stats!.lengths });
  });
});

describe('postgres with several processes on one database', () => {
  it('lands every concurrent append, in one order, with one version per append', async () => {
    const schema = freshSchema();
    const stores = await sameSchema(schema, 4);
    const key = { session_id: 'busy', namespace: 'ns', user_id: null };
    const results = await Promise.all(
      Array.from({ length: 24 }, (_, i) => stores[i % 4]!.appendMessages(key, [message({ content: `m${i}` })])),
    );
    expect(results.every((r) => r.appended === 1)).toBe(true);
    expect(results.map((r) => r.session.version).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 24 }, (_, i) => i + 1),
    );
    const session = await stores[0]!.getSession(key);
    expect(session?.total_messages).toBe(24);
    expect(new Set(session?.messages.map((m) => m.content)).size).toBe(24);
    await stores[0]!.destroy();
  });

  it('gives each task to one worker, and one memory to concurrent deduplicating writers', async () => {
    const schema = freshSchema();
    const stores = await sameSchema(schema, 3);
    await stores[0]!.ensureEmbeddingModel(MODEL, DIM);
    for (let i = 0; i < 9; i++)
      await stores[0]!.tasks.enqueue({ kind: 'k', payload: { i }, runAt: 0, maxAttempts: 1 }, 0);
    const claimed: string[] = [];
    await Promise.all(
      stores.map(async (s, w) => {
        for (;;) {
          const task = await s.tasks.claim(`worker-${w}`, 60_000, 1);
          if (!task) return;
          claimed.push(task.id);
        }
      }),
    );
    expect(claimed).toHaveLength(9);
    expect(new Set(claimed).size).toBe(9);

    const outcomes = await Promise.all(
      stores.map((s) => s.putMemories([mem({ memory_hash: 'same', namespace: 'n' })], { deduplicate: true })),
    );
    expect(outcomes.flat().filter((o) => o.status === 'created')).toHaveLength(1);
    expect(await stores[1]!.countMemories(filter({ namespace: { eq: 'n' } }))).toBe(1);
    await stores[0]!.destroy();
  });

  it('migrates a new schema once when several processes open it at the same moment', async () => {
    const schema = freshSchema();
    const stores = await sameSchema(schema, 3);
    const rows = await stores[0]!.db.rows<{ version: number }>('SELECT version FROM schema_migrations');
    expect(rows.map((r) => r.version)).toEqual(Array.from({ length: LATEST_SCHEMA_VERSION }, (_, i) => i + 1));
    await stores[0]!.destroy();
  });
});

describe('postgres errors', () => {
  it('answers a value PostgreSQL cannot store with a 400 and keeps working', async () => {
    const s = await store();
    const err = await rejection(() => s.putMemories([mem({ text: 'nul \u0000 inside' })], { deduplicate: false }));
    expect(err).toBeInstanceOf(MemoryError);
    expect(err.kind).toBe('invalid');
    expect(err.message).toContain('NUL character (U+0000)');
    for (const key of [
      { session_id: 's', namespace: null, user_id: null },
      { session_id: 'nul\u0000id', namespace: null, user_id: null },
    ]) {
      const refused = await rejection(() => s.appendMessages(key, [message({ content: 'a \u0000 b' })]));
      expect(refused.message).toContain('NUL character (U+0000)');
    }
    await s.putMemories([mem({ text: 'fine' })], { deduplicate: false });
    const bad = await rejection(() => s.vectorSearch(new Float32Array(DIM).fill(Number.NaN), noFilter(), 3));
    expect(bad.kind).toBe('invalid');
    expect(await s.countMemories(noFilter())).toBe(1);
  });

  it('answers 503 naming the server, never its password, when it cannot be reached', async () => {
    const err = await rejection(() =>
      openPostgresStore({ url: 'postgres://me:hunter2@127.0.0.1:1/db', connectTimeoutMs: 2_000 }),
    );
    expect(err.kind).toBe('unavailable');
    expect(err.message).toContain('127.0.0.1:1');
    expect(err.message).not.toContain('hunter2');
  });

  it('validates DATABASE_URL and POSTGRES_SCHEMA only for MEMORY_BACKEND=postgres', () => {
    const env = (extra: Record<string, string>) => ({ AGENT_MEMORY_NO_DOTENV: '1', ...extra });
    expect(() => loadConfig(env({ MEMORY_BACKEND: 'postgres' }))).toThrow(/needs DATABASE_URL/);
    const wrong = () => loadConfig(env({ MEMORY_BACKEND: 'postgres', DATABASE_URL: 'mysql://u:hunter2@h/db' }));
    expect(wrong).toThrow(ConfigError);
    expect(wrong).toThrow(/postgres:\/\//);
    expect(wrong).not.toThrow(/hunter2/);
    expect(() =>
      loadConfig(env({ MEMORY_BACKEND: 'postgres', DATABASE_URL: 'postgres://h/db', POSTGRES_SCHEMA: 'a;b' })),
    ).toThrow(/POSTGRES_SCHEMA/);
    expect(() =>
      loadConfig(env({ MEMORY_BACKEND: 'postgres', POSTGRES_POOL_SIZE: '0', DATABASE_URL: 'postgres://h/db' })),
    ).toThrow(/POSTGRES_POOL_SIZE/);
    const ok = loadConfig(
      env({ MEMORY_BACKEND: 'postgres', DATABASE_URL: 'postgresql://h/db', POSTGRES_SCHEMA: 'mem' }),
    );
    expect(ok.postgres).toEqual({ url: 'postgresql://h/db', poolSize: 10, schema: 'mem' });
    // Another tool's DATABASE_URL does not stop a SQLite server from starting.
    expect(loadConfig(env({ DATABASE_URL: 'mysql://elsewhere/db' })).backend).toBe('sqlite');
  });
});
