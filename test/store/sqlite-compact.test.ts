import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateRawSync } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { prng } from '../../bench/agent-grid.js';
import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/core/engine.js';
import { CachedEmbedder, contentHash } from '../../src/llm/cached-embedder.js';
import type { Embedder } from '../../src/llm/embedder.js';
import { DICTIONARY_V1, packPayload, packText, unpackPayload } from '../../src/store/payload-codec.js';
import { asStored, fromBlob, quantize, toBlob } from '../../src/store/sqlite/codec.js';
import { LATEST_SCHEMA_VERSION } from '../../src/store/sqlite/migrations.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { cosineDistance } from '../../src/util/cosine.js';
import { DIM, MODEL, mem, message, noFilter, unitVector, workingMemory } from './records.js';
import { undoKeywordRows, undoQuantizedVectors } from './sqlite-old-schemas.js';

const dir = mkdtempSync(join(tmpdir(), 'agent-memory-compact-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const freshPath = () => join(dir, `db-${++n}.db`);

async function open(path: string, compress?: boolean): Promise<SqliteStore> {
  const s = await openSqliteStore({ path, searchThread: false, compress });
  await s.ensureEmbeddingModel(MODEL, DIM);
  return s;
}

const gaussian = (r: () => number) => Math.sqrt(-2 * Math.log(1 - r())) * Math.cos(2 * Math.PI * r());
const randomVector = (r: () => number, dim = DIM) =>
  unitVector(
    Array.from({ length: dim }, () => gaussian(r)),
    dim,
  );

class CountingEmbedder implements Embedder {
  readonly model = MODEL;
  readonly dimension = DIM;
  readonly fusion = { alpha: 0.5, basis: 'test' };
  embedded: string[] = [];
  async embed(texts: string[]): Promise<Float32Array[]> {
    this.embedded.push(...texts);
    return texts.map((t) => unitVector([t.length, 1, 2]));
  }
}

const cacheRows = (s: SqliteStore) => s.db.prepare('SELECT count(*) FROM embedding_cache').pluck().get() as number;

describe('int8 vectors', () => {
  it('rank as floats do on uniformly random 612-dimension vectors, the hardest case (recall@10 >= 0.95)', () => {
    // Every distance is about 1 here, so the rounding decides more near ties than anywhere else.
    const r = prng(1);
    const dim = 612;
    const vectors = Array.from({ length: 2000 }, () => randomVector(r, dim));
    const top = (q: Float32Array, form: (v: Float32Array) => Float32Array) =>
      vectors
        .map((v, i) => ({ i, d: cosineDistance(form(q), form(v)) }))
        .sort((a, b) => a.d - b.d)
        .slice(0, 10)
        .map((e) => e.i);
    let found = 0;
    for (let q = 0; q < 20; q++) {
      const query = randomVector(r, dim);
      const exact = new Set(top(query, (v) => v));
      found += top(query, asStored).filter((i) => exact.has(i)).length;
    }
    expect(found / 200).toBeGreaterThanOrEqual(0.95);
  });

  it("keep float search's top 10 through the store, binary-code candidates included (recall@10 >= 0.95)", async () => {
    const r = prng(11);
    const dim = 612;
    const s = await openSqliteStore({ path: ':memory:' });
    await s.ensureEmbeddingModel(MODEL, dim);
    // Clustered: each memory is near one of 200 centres, so top-10 neighbours are meaningful, as with real texts.
    const centres = Array.from({ length: 200 }, () => randomVector(r, dim));
    const vectors = Array.from({ length: 4000 }, (_, i) => {
      const c = centres[i % centres.length]!;
      return unitVector(
        Array.from({ length: dim }, (_, j) => c[j]! + 0.06 * gaussian(r)),
        dim,
      );
    });
    const items = vectors.map((vector) => mem({ vector }));
    await s.putMemories(items, { deduplicate: false });
    let found = 0;
    const queries = 40;
    for (let q = 0; q < queries; q++) {
      const c = centres[(q * 7) % centres.length]!;
      const query = unitVector(
        Array.from({ length: dim }, (_, j) => c[j]! + 0.06 * gaussian(r)),
        dim,
      );
      const exact = new Set(
        items
          .map((m, i) => ({ id: m.record.id, d: cosineDistance(query, vectors[i]!) }))
          .sort((a, b) => a.d - b.d)
          .slice(0, 10)
          .map((e) => e.id),
      );
      const page = await s.vectorSearch(query, noFilter(), 10);
      found += page.items.filter((h) => exact.has(h.id)).length;
    }
    await s.close();
    expect(found / (10 * queries)).toBeGreaterThanOrEqual(0.95);
  });

  it('store a byte per component and a scale, and read back within a rounding step', async () => {
    const s = await open(freshPath());
    const v = randomVector(prng(3));
    const m = mem({ vector: v });
    await s.putMemories([m], { deduplicate: false });
    const row = s.db.prepare('SELECT embedding, scale FROM memory_vectors_g1').get() as {
      embedding: Buffer;
      scale: number;
    };
    expect(row.embedding.length).toBe(DIM);
    expect(Math.max(...[...new Int8Array(row.embedding.buffer, row.embedding.byteOffset, DIM)].map(Math.abs))).toBe(
      127,
    );
    const back = asStored(v);
    for (let i = 0; i < DIM; i++) expect(Math.abs(back[i]! - v[i]!)).toBeLessThanOrEqual(row.scale / 2 + 1e-7);
    // A zero vector (no direction) stays zero, and is as far from everything as cosine distance allows.
    expect(quantize(new Float32Array(DIM)).scale).toBe(0);
    await s.close();
  });
});

describe('the embedding cache without a second copy of memory vectors', () => {
  it("serves a stored memory's vector by its text's hash, after a restart, and not once the text changes or goes", async () => {
    const path = freshPath();
    const s = await open(path);
    const text = 'Alice moved to Lisbon';
    const v = unitVector([1, 2, 3, 4]);
    const m = mem({ text, vector: v });
    await s.putMemories([{ ...m, vectorHash: contentHash(text) }], { deduplicate: false });
    expect(s.keepsMemoryVectors).toBe(true);
    expect(cacheRows(s)).toBe(0);
    await s.close();

    const t = await open(path);
    const inner = new CountingEmbedder();
    const [got] = await new CachedEmbedder(inner, t).embed([text]);
    expect(inner.embedded).toEqual([]);
    expect([...got!]).toEqual([...asStored(v)]);
    // Another model's cache is not this memory's vector.
    expect((await t.getCachedVectors('another-model', [contentHash(text)])).size).toBe(0);

    // Edited: the vector now belongs to the new text.
    await t.putMemories(
      [
        {
          ...m,
          record: { ...m.record, text: 'Alice moved to Porto' },
          vectorHash: contentHash('Alice moved to Porto'),
        },
      ],
      {
        deduplicate: false,
      },
    );
    expect((await t.getCachedVectors(MODEL, [contentHash(text)])).size).toBe(0);
    expect((await t.getCachedVectors(MODEL, [contentHash('Alice moved to Porto')])).size).toBe(1);
    await t.deleteMemories([m.record.id]);
    expect((await t.getCachedVectors(MODEL, [contentHash('Alice moved to Porto')])).size).toBe(0);
    await t.close();
  });

  it('caches query vectors, and memory vectors only in a store that does not keep them', async () => {
    const s = await open(freshPath());
    const inner = new CountingEmbedder();
    const e = new CachedEmbedder(inner, s);
    await e.embed(['a memory text'], 'memory');
    expect(cacheRows(s)).toBe(0);
    await e.embed(['a query text']);
    expect(cacheRows(s)).toBe(1);
    await s.close();
  });

  it('through the engine: stored memories leave the cache empty and are not embedded again after a restart', async () => {
    const path = freshPath();
    const config = loadConfig({ SQLITE_PATH: path, LOG_LEVEL: 'silent' });
    const a = await openEngine(config, { autoStartWorker: false });
    const texts = ['Bob plays chess on Tuesdays', 'Carol keeps bees in her garden'];
    await a.longTerm.create(texts.map((text) => ({ text })));
    const db = (a.store as SqliteStore).db;
    expect(db.prepare('SELECT count(*) FROM embedding_cache').pluck().get()).toBe(0);
    expect(db.prepare('SELECT count(*) FROM memory_vectors_g1 WHERE text_hash IS NOT NULL').pluck().get()).toBe(2);
    const model = a.embedder.model;
    await a.close();

    const b = await openSqliteStore({ path, searchThread: false });
    expect((await b.getCachedVectors(model, texts.map(contentHash))).size).toBe(2);
    await b.close();
  });
});

describe('schema version 11 on a database of float vectors', () => {
  it('quantizes vectors and the cache, drops cache rows the vector table now serves, and searches the same', async () => {
    const path = freshPath();
    const s = await open(path);
    const r = prng(5);
    const items = Array.from({ length: 30 }, (_, i) =>
      mem({
        text: `memory ${i}`,
        terms: `memory word${i % 4}`,
        contextTerms: `ctx${i % 3} related words`,
        vector: randomVector(r),
      }),
    );
    await s.putMemories(
      items.map((m) => ({ ...m, vectorHash: contentHash(m.record.text) })),
      { deduplicate: false },
    );
    const q = randomVector(r);
    const before = await s.vectorSearch(q, noFilter(), 10);
    const keywordBefore = await s.keywordSearch(['word1', 'ctx2'], noFilter(), 10, { contextWeight: 0.5 });
    // Back to version 10: float vectors, an embedding cache that held each memory's vector as well, and a keyword
    // index that stored its rows.
    undoQuantizedVectors(s.db);
    undoKeywordRows(s.db);
    const floats = s.db
      .prepare('SELECT v.embedding, m.text FROM memory_vectors_g1 v JOIN memories m ON m.pk = v.memory_rowid')
      .all() as {
      embedding: Buffer;
      text: string;
    }[];
    expect(floats[0]!.embedding.length).toBe(4 * DIM);
    const put = s.db.prepare('INSERT INTO embedding_cache (model, hash, vector) VALUES (?, ?, ?)');
    for (const f of floats.slice(0, 20)) put.run(MODEL, contentHash(f.text), f.embedding);
    // One memory whose cached vector is not its stored one (embedded from other text): it keeps no hash.
    put.run(MODEL, contentHash(floats[20]!.text), toBlob(randomVector(r)));
    const queryVector = randomVector(r);
    put.run(MODEL, contentHash('a query'), toBlob(queryVector));
    put.run('old-model', contentHash('a query'), toBlob(queryVector));
    s.db.prepare("UPDATE meta SET value = '10' WHERE key = 'schema_version'").run();
    await s.close();

    const t = await open(path);
    expect(t.db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get()).toBe(
      String(LATEST_SCHEMA_VERSION),
    );
    const rows = t.db.prepare('SELECT length(embedding) AS bytes, scale, text_hash FROM memory_vectors_g1').all() as {
      bytes: number;
      scale: number | null;
      text_hash: Buffer | null;
    }[];
    expect(rows.every((row) => row.bytes === DIM && (row.scale ?? 0) > 0)).toBe(true);
    expect(rows.filter((row) => row.text_hash !== null)).toHaveLength(20);
    // Left: the mismatched memory's row and the query's, quantized; the other model's is gone.
    const cache = t.db.prepare('SELECT model, hash, length(vector) AS bytes FROM embedding_cache ORDER BY hash').all();
    expect(cache).toEqual(
      [
        { model: MODEL, hash: contentHash(floats[20]!.text), bytes: 4 + DIM },
        { model: MODEL, hash: contentHash('a query'), bytes: 4 + DIM },
      ].sort((x, y) => (x.hash < y.hash ? -1 : 1)),
    );
    expect(await t.vectorSearch(q, noFilter(), 10)).toEqual(before);
    // Migration 12: the keyword rows moved beside a contentless index, compressed when that pays, same scores.
    expect(keywordBefore.items.length).toBeGreaterThan(3);
    expect(await t.keywordSearch(['word1', 'ctx2'], noFilter(), 10, { contextWeight: 0.5 })).toEqual(keywordBefore);
    expect(t.db.prepare('SELECT count(*) FROM memory_terms').pluck().get()).toBe(30);
    expect(t.db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'memories_fts_content'").get()).toBeUndefined();
    await t.deleteMemories([items[5]!.record.id]);
    expect(t.db.prepare('SELECT count(*) FROM memory_terms').pluck().get()).toBe(29);
    expect((await t.keywordSearch(['word1'], noFilter(), 10)).total).toBe(7);
    const served = await t.getCachedVectors(MODEL, [contentHash(floats[3]!.text), contentHash('a query')]);
    const want = asStored(fromBlob(floats[3]!.embedding));
    expect([...served.get(contentHash(floats[3]!.text))!]).toEqual([...want].map((x) => expect.closeTo(x, 6)));
    expect([...served.get(contentHash('a query'))!]).toEqual(
      [...asStored(queryVector)].map((x) => expect.closeTo(x, 6)),
    );
    await t.close();
  });
});

describe('schema version 11 on float vectors written before any model was recorded', () => {
  it('converts them all the same, so writes and searches go on', async () => {
    const path = freshPath();
    const s = await openSqliteStore({ path, searchThread: false });
    const r = prng(8);
    const items = Array.from({ length: 5 }, () => mem({ vector: randomVector(r) }));
    await s.putMemories(items, { deduplicate: false });
    expect(s.db.prepare("SELECT 1 FROM meta WHERE key = 'embedding_model'").get()).toBeUndefined();
    undoQuantizedVectors(s.db);
    undoKeywordRows(s.db);
    s.db.prepare("UPDATE meta SET value = '10' WHERE key = 'schema_version'").run();
    await s.close();

    const t = await openSqliteStore({ path, searchThread: false });
    expect(t.db.prepare('SELECT DISTINCT length(embedding) FROM memory_vectors_g1').pluck().all()).toEqual([DIM]);
    await t.putMemories([mem({ vector: randomVector(r) })], { deduplicate: false });
    expect((await t.vectorSearch(items[2]!.vector, noFilter(), 1)).items[0]!.id).toBe(items[2]!.record.id);
    await t.close();
  });
});

describe('stored payload compression (SQLITE_COMPRESS)', () => {
  it('round-trips payloads and texts of any script, leaving short texts as they are', () => {
    const body = JSON.stringify({ before: null, after: { id: '01', text: 'Zoë 東京 🚀', topics: ['a'] }, details: {} });
    const packed = packPayload(body);
    // A window sized to the row (its bits in the tag's low nibble), not zlib's default 32 KB.
    expect(packed[0]! >> 4).toBe(1);
    expect(packed[0]! & 0x0f).toBeLessThan(15);
    expect(unpackPayload(packed)).toBe(body);
    expect(packed.length).toBeLessThan(Buffer.byteLength(body));
    expect(packText('short')).toBe('short');
    const long = 'The meeting moved to Thursday; ünïcödé and 日本語 too. '.repeat(20);
    const text = packText(long);
    expect(Buffer.isBuffer(text)).toBe(true);
    expect(unpackPayload(text)).toBe(long);
    // Packed only when that saves a tenth: never larger than the text by more than the tag byte.
    const r = prng(9);
    for (const alphabet of [2, 16, 64, 94]) {
      const noise = Array.from({ length: 300 }, () => String.fromCharCode(33 + Math.floor(r() * alphabet))).join('');
      const stored = packText(noise);
      expect(unpackPayload(stored)).toBe(noise);
      if (typeof stored !== 'string') expect(stored.length).toBeLessThanOrEqual(0.9 * 300 + 1);
    }
    const cjk = Array.from({ length: 100 }, () => String.fromCharCode(0x4e00 + Math.floor(r() * 20_000))).join('');
    expect(unpackPayload(packText(cjk))).toBe(cjk);
    expect(() => unpackPayload(Buffer.from([9, 1, 2]))).toThrow(/unknown format 9/);
    expect(() => unpackPayload(Buffer.from([0x18, 1, 2]))).toThrow(/unknown format 24/);
  });

  it('reads rows packed before windows were sized (tags 1 and 2, 32 KB window)', () => {
    const body = JSON.stringify({ before: null, after: { id: '01', text: 'written by an older server' }, details: {} });
    const old = (tag: number, packed: Buffer) => Buffer.concat([Buffer.from([tag]), packed]);
    expect(unpackPayload(old(1, deflateRawSync(body, { dictionary: DICTIONARY_V1 })))).toBe(body);
    const long = 'The launch moved to March. '.repeat(40);
    expect(unpackPayload(old(2, deflateRawSync(long)))).toBe(long);
    // A long text still gets the whole window.
    const huge = Array.from({ length: 4000 }, (_, i) => `line ${i % 700} of the log`).join('\n');
    const packed = packText(huge) as Buffer;
    expect(packed[0]! & 0x0f).toBe(15);
    expect(unpackPayload(packed)).toBe(huge);
  });

  it.each([true, false])('compress=%s: session messages and activity read back the same', async (compress) => {
    const path = freshPath();
    const s = await open(path, compress);
    const long = 'We agreed the launch moves to the second week of March, pending QA. '.repeat(12);
    const session = workingMemory({ session_id: 's1' });
    await s.putSession(session);
    await s.appendMessages({ session_id: 's1', namespace: null, user_id: null }, [
      message({ content: long }),
      message({ content: 'short one' }),
    ]);
    const after = mem({ text: 'a fact worth keeping' }).record;
    await s.appendActivity([
      {
        at: Date.now(),
        action: 'create',
        resource: 'memory',
        target_id: after.id,
        namespace: null,
        user_id: null,
        session_id: null,
        actor: 'test',
        before: null,
        after,
        details: { imported: true },
      },
    ]);
    await s.close();

    const t = await open(path, compress);
    const got = await t.getSession({ session_id: 's1', namespace: null, user_id: null });
    expect(got?.messages.map((x) => x.content)).toEqual([long, 'short one']);
    const stored = t.db.prepare('SELECT typeof(content) AS kind FROM session_messages ORDER BY seq').pluck().all();
    expect(stored).toEqual(compress ? ['blob', 'text'] : ['text', 'text']);
    const kinds = t.db.prepare('SELECT DISTINCT typeof(body) FROM activity').pluck().all();
    expect(kinds).toEqual(compress ? ['blob'] : ['text']);
    const [event] = await t.listActivity({}, 10);
    expect(event?.after).toEqual(after);
    expect(event?.details).toEqual({ imported: true });
    await t.close();

    // The other setting reads what this one wrote.
    const u = await open(path, !compress);
    expect((await u.getSession({ session_id: 's1', namespace: null, user_id: null }))?.messages[0]?.content).toBe(long);
    await u.close();
  });

  it('is on by default and off with SQLITE_COMPRESS=false', () => {
    expect(loadConfig({}).sqliteCompress).toBe(true);
    expect(loadConfig({ SQLITE_COMPRESS: 'false' }).sqliteCompress).toBe(false);
  });
});

describe('an interrupted re-embed', () => {
  it('goes on where it stopped, redoing only memories edited meanwhile, since no cache holds their vectors', async () => {
    const s = await open(freshPath());
    const items = Array.from({ length: 300 }, (_, i) => mem({ text: `text ${i}`, vector: unitVector([1, i]) }));
    await s.putMemories(items, { deduplicate: false });
    const embedded: string[] = [];
    let calls = 0;
    const failing = async (texts: string[]) => {
      calls += 1;
      if (calls === 2) throw new Error('embedder down');
      embedded.push(...texts);
      return texts.map(() => unitVector([0, 1], 4));
    };
    await expect(s.reembedAll('model-2', 4, failing)).rejects.toThrow('embedder down');
    const firstBatch = embedded.length;
    expect(firstBatch).toBeGreaterThan(0);
    // Edited while no re-embed runs: its half-built vector is of the old text.
    const edited = items[0]!;
    await s.putMemories([{ ...edited, record: { ...edited.record, text: 'edited text' } }], { deduplicate: false });
    embedded.length = 0;
    const count = await s.reembedAll('model-2', 4, async (texts) => {
      embedded.push(...texts);
      return texts.map(() => unitVector([0, 1], 4));
    });
    expect(count).toBe(300);
    expect(embedded).toHaveLength(300 - firstBatch + 1);
    expect(embedded).toContain('edited text');
    expect(s.db.prepare("SELECT 1 FROM meta WHERE key = 'reembed_generation'").get()).toBeUndefined();
    // Another model drops what is left over instead of going on with it.
    calls = 0;
    await expect(s.reembedAll('model-3', 4, failing)).rejects.toThrow('embedder down');
    embedded.length = 0;
    await s.reembedAll('model-4', 4, async (texts) => {
      embedded.push(...texts);
      return texts.map(() => unitVector([0, 1], 4));
    });
    expect(embedded).toHaveLength(300);
    await s.close();
  });
});

describe('memory hashes', () => {
  it("keep the engine's hex hashes as 32 bytes, others as text, read back the same and still find duplicates", async () => {
    const path = freshPath();
    const s = await open(path);
    const hex = 'ab'.repeat(32);
    const a = mem({ memory_hash: hex, namespace: 'n' });
    const b = mem({ memory_hash: 'client-hash-1', namespace: 'n' });
    await s.putMemories([a, b], { deduplicate: false });
    const kinds = s.db.prepare('SELECT typeof(memory_hash) AS t, length(memory_hash) AS n FROM memories ORDER BY pk');
    expect(kinds.all()).toEqual([
      { t: 'blob', n: 32 },
      { t: 'text', n: 13 },
    ]);
    expect((await s.getMemories([a.record.id, b.record.id])).map((r) => r.memory_hash)).toEqual([hex, 'client-hash-1']);
    // A second memory with the same hash in the same scope is a duplicate, whichever form the hash is stored in.
    const again = await s.putMemories(
      [mem({ memory_hash: hex, namespace: 'n' }), mem({ memory_hash: 'client-hash-1', namespace: 'n' })],
      {
        deduplicate: true,
      },
    );
    expect(again.map((o) => o.status)).toEqual(['duplicate', 'duplicate']);
    const twin = mem({ memory_hash: hex, namespace: 'n', created_at: '2025-01-02T00:00:00.000Z' });
    await s.putMemories([twin], { deduplicate: false });
    expect(await s.duplicateGroups({})).toEqual([[a.record.id, twin.record.id]]);
    await s.deleteMemories([twin.record.id]);
    // Schema version 13 turns the hex hashes an older server stored as text into bytes.
    s.db.prepare('UPDATE memories SET memory_hash = ? WHERE id = ?').run(hex, a.record.id);
    s.db.prepare("UPDATE meta SET value = '12' WHERE key = 'schema_version'").run();
    await s.close();
    const t = await open(path);
    expect(t.db.prepare('SELECT typeof(memory_hash) FROM memories ORDER BY pk').pluck().all()).toEqual([
      'blob',
      'text',
    ]);
    expect((await t.getMemories([a.record.id]))[0]!.memory_hash).toBe(hex);
    await t.close();
  });
});
