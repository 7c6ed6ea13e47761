import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { MemoryError } from '../../src/errors.js';
import { asStored } from '../../src/store/sqlite/codec.js';
import { filterSql } from '../../src/store/sqlite/filter-sql.js';
import { LATEST_SCHEMA_VERSION } from '../../src/store/sqlite/migrations.js';
import { DEFAULT_VECTOR_TUNING } from '../../src/store/sqlite/search.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { CONFORMANCE_ATTRIBUTE_PATHS } from './conformance/agent.js';
import { describeStoreConformance } from './conformance.js';
import { axis, DIM, MODEL, mem, noFilter, workingMemory } from './records.js';

const dir = mkdtempSync(join(tmpdir(), 'agent-memory-store-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `db-${++n}.db`);

const attributePaths = CONFORMANCE_ATTRIBUTE_PATHS;
const storedVector = asStored;
describeStoreConformance('sqlite file', () => openSqliteStore({ path: freshPath(), attributePaths }), { storedVector });
describeStoreConformance('sqlite :memory:', () => openSqliteStore({ path: ':memory:', attributePaths }), {
  storedVector,
});

async function withStore<T>(path: string, fn: (s: SqliteStore) => Promise<T>, busyTimeoutMs?: number): Promise<T> {
  const store = await openSqliteStore({ path, busyTimeoutMs });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

const schemaObjects = (s: SqliteStore) =>
  s.db.prepare('SELECT type, name FROM sqlite_master ORDER BY type, name').all() as { type: string; name: string }[];

describe('sqlite search thread', () => {
  it("runs a file's vector searches on a worker that sees every committed write and reports errors as the store does", async () => {
    const path = freshPath();
    const on = await openSqliteStore({ path, dimension: DIM });
    const off = await openSqliteStore({ path, searchThread: false });
    try {
      const items = Array.from({ length: 40 }, (_, i) => mem({ vector: axis(i % DIM), terms: i % 3 ? 'plum' : 'fig' }));
      await on.putMemories(items, { deduplicate: false });
      const threaded = await on.vectorSearch(axis(1), noFilter(), 7, undefined, { similarity: true });
      const worker = (on as unknown as { thread: { worker: unknown } }).thread.worker;
      expect(worker).not.toBeNull();
      expect(threaded).toEqual(await off.vectorSearch(axis(1), noFilter(), 7, undefined, { similarity: true }));
      expect(threaded.items).toHaveLength(7);
      // By binary codes (candidates, exact rescoring and the similarity sample), on the worker as here: the same page.
      const coarse = { exactScanMax: 0, rowsPerCandidate: 0, minCandidates: 64 };
      on.vectorTuning = coarse;
      off.vectorTuning = coarse;
      const split = await on.vectorSearch(axis(2), noFilter(), 7, undefined, { similarity: true });
      expect(split.similarity?.n).toBe(40);
      expect(split).toEqual(await off.vectorSearch(axis(2), noFilter(), 7, undefined, { similarity: true }));
      on.vectorTuning = off.vectorTuning = DEFAULT_VECTOR_TUNING;
      const ceiling = await on.keywordCeiling(['fig', 'plum']);
      expect(ceiling).toBeGreaterThan(0);
      expect(ceiling).toBe(await off.keywordCeiling(['fig', 'plum']));
      // A write just committed on the main connection is found by the next search on the worker.
      const fresh = mem({ vector: axis(1) });
      await on.putMemories([fresh], { deduplicate: false });
      const ids = (await on.vectorSearch(axis(1), noFilter(), 100)).items.map((h) => h.id);
      expect(ids).toContain(fresh.record.id);
      const bad = on.vectorSearch(new Float32Array(DIM + 1).fill(1), noFilter(), 5);
      await expect(bad).rejects.toBeInstanceOf(MemoryError);
      await expect(bad).rejects.toThrow(/dimension/);
    } finally {
      await on.close();
      await off.close();
    }
    const memory = await openSqliteStore({ path: ':memory:' });
    expect((memory as unknown as { thread: unknown }).thread).toBeNull();
    await memory.close();
  });
});

describe('sqlite store specifics', () => {
  it('is kind sqlite on a file and memory on :memory:', async () => {
    await withStore(freshPath(), async (s) => expect(s.kind).toBe('sqlite'));
    await withStore(':memory:', async (s) => expect(s.kind).toBe('memory'));
  });

  it('creates missing parent directories', async () => {
    const path = join(dir, 'nested', 'deeper', 'memory.db');
    await withStore(path, async () => {});
    expect(existsSync(path)).toBe(true);
  });

  it('runs in WAL mode with NORMAL sync, foreign keys and the configured busy timeout', async () => {
    await withStore(
      freshPath(),
      async (s) => {
        expect(s.db.pragma('journal_mode', { simple: true })).toBe('wal');
        expect(s.db.pragma('synchronous', { simple: true })).toBe(1);
        expect(s.db.pragma('foreign_keys', { simple: true })).toBe(1);
        expect(s.db.pragma('busy_timeout', { simple: true })).toBe(4321);
      },
      4321,
    );
    await withStore(freshPath(), async (s) => expect(s.db.pragma('busy_timeout', { simple: true })).toBe(10_000));
  });

  it('applies migrations once; reopening changes nothing and keeps the data', async () => {
    const path = freshPath();
    const item = mem({ terms: 'persisted', vector: axis(2) });
    const before = await withStore(path, async (s) => {
      await s.ensureEmbeddingModel(MODEL, DIM);
      await s.putMemories([item], { deduplicate: false });
      await s.putSession(workingMemory({ session_id: 'kept' }));
      return schemaObjects(s);
    });
    for (let i = 0; i < 2; i++) {
      await withStore(path, async (s) => {
        expect(s.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(
          String(LATEST_SCHEMA_VERSION),
        );
        expect(schemaObjects(s)).toEqual(before);
        expect(await s.getMemories([item.record.id])).toEqual([item.record]);
        expect((await s.keywordSearch(['persisted'], noFilter(), 5)).total).toBe(1);
        expect((await s.vectorSearch(axis(2), noFilter(), 5)).items[0]?.id).toBe(item.record.id);
        expect(await s.getSession({ session_id: 'kept' })).not.toBeNull();
      });
    }
  });

  it('refuses a database from a newer schema version', async () => {
    const path = freshPath();
    await withStore(path, async (s) => {
      s.db.prepare("UPDATE meta SET value = '999' WHERE key = 'schema_version'").run();
    });
    await expect(openSqliteStore({ path })).rejects.toThrow(/schema version 999/);
  });

  it('names both models in the mismatch message, also after reopening', async () => {
    const path = freshPath();
    await withStore(path, (s) => s.ensureEmbeddingModel('text-embedding-3-small', 1536));
    await withStore(path, async (s) => {
      const err = await s.ensureEmbeddingModel('offline-hash-v1', 256).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(MemoryError);
      expect((err as MemoryError).kind).toBe('conflict');
      expect((err as MemoryError).message).toBe(
        'This database was built with embedding model "text-embedding-3-small" (dimension 1536), but the server is ' +
          'configured with "offline-hash-v1" (dimension 256). Run `agent-memory reembed` to re-embed every memory ' +
          'with the new model, or set EMBEDDING_MODEL back to "text-embedding-3-small".',
      );
    });
  });

  it('creates vector tables from the dimension option, replaceable while empty', async () => {
    const path = freshPath();
    const s = await openSqliteStore({ path, dimension: 4 });
    try {
      await s.putMemories([mem({ vector: axis(1, 4) })], { deduplicate: false });
      expect((await s.vectorSearch(axis(1, 4), noFilter(), 1)).items).toHaveLength(1);
      await expect(s.ensureEmbeddingModel('m', 8)).rejects.toThrow(/"\(unrecorded\)" \(dimension 4\)/);
    } finally {
      await s.close();
    }
    await withStore(freshPath(), async (e) => {
      e.ensureVectorTables(4);
      await e.ensureEmbeddingModel('m', 8);
      await e.putMemories([mem({ vector: axis(1, 8) })], { deduplicate: false });
    });
  });

  it('rejects vectors of the wrong dimension', async () => {
    await withStore(':memory:', async (s) => {
      await s.ensureEmbeddingModel(MODEL, DIM);
      const err = await s.putMemories([mem({ vector: axis(0, DIM + 1) })], { deduplicate: false }).catch((e) => e);
      expect((err as MemoryError).kind).toBe('invalid');
      expect(await s.countMemories(noFilter())).toBe(0);
      await expect(s.vectorSearch(axis(0, 3), noFilter(), 1)).rejects.toThrow(/dimension/);
    });
  });

  it('re-embeds memories written while a re-embed runs, and leaves one vector generation', async () => {
    await withStore(freshPath(), async (s) => {
      await s.ensureEmbeddingModel(MODEL, DIM);
      const old = Array.from({ length: 200 }, (_, i) => mem({ text: `old ${i}`, vector: axis(0) }));
      await s.putMemories(old, { deduplicate: false });
      const late = mem({ text: 'late 3', vector: axis(0) });
      const changed = { ...old[5]!, record: { ...old[5]!.record, text: 'changed 2' } };
      let first = true;
      const embed = async (texts: string[]) => {
        if (first) {
          first = false;
          await s.putMemories([late, changed], { deduplicate: false });
        }
        return texts.map((t) => axis(Number(t.split(' ')[1]) % 4, 4));
      };
      await expect(s.reembedAll('model-2', 4, async () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
      expect(await s.reembedAll('model-2', 4, embed)).toBe(201);
      const hit = async (i: number) => (await s.vectorSearch(axis(i, 4), noFilter(), 500, 0.01)).items.map((h) => h.id);
      expect(await hit(3)).toContain(late.record.id);
      expect(await hit(2)).toContain(changed.record.id);
      expect(await hit(1)).not.toContain(changed.record.id);
      const vectorTables = schemaObjects(s)
        .map((o) => /^memory_(?:codes|vectors)_g(\d+)$/.exec(o.name)?.[1])
        .filter((gen) => gen !== undefined);
      expect(vectorTables).toHaveLength(2);
      expect(new Set(vectorTables).size).toBe(1);
    });
  });

  it('binds filter values instead of writing them into SQL', () => {
    const evil = "x'); DROP TABLE memories; --";
    const f = filterSql({
      tags: { namespace: { eq: evil }, topics: { any: [evil] }, user_id: { startswith: evil } },
      times: { created_at: { gte: 5 } },
      pinned: true,
    });
    expect(f.where).not.toContain(evil);
    expect(f.where).not.toContain('DROP');
    expect(f.params).toContain(evil);
    expect(() => filterSql({ tags: { ['bogus' as 'namespace']: { eq: 'x' } }, times: {} })).toThrow(/unknown/);
  });

  it('leaves other connections able to read while a write waits', async () => {
    const path = freshPath();
    await withStore(path, async (s) => {
      await s.ensureEmbeddingModel(MODEL, DIM);
      await s.putMemories([mem()], { deduplicate: false });
      const other = new Database(path, { timeout: 100 });
      try {
        other.exec('BEGIN IMMEDIATE');
        // A reader is never blocked by the writer under WAL.
        expect(await s.countMemories(noFilter())).toBe(1);
        other.exec('COMMIT');
      } finally {
        other.close();
      }
    });
  });
});
