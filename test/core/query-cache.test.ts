import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Engine, openEngine } from '../../src/core/engine.js';
import { canonicalJson, QueryCache } from '../../src/core/query-cache.js';
import { MemoryError } from '../../src/errors.js';
import type { MemoryStore } from '../../src/store/port.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';

describe('QueryCache', () => {
  let now = 1_000_000;
  let version = 'v1';
  const make = (ttlSeconds = 60, maxEntries = 100) =>
    new QueryCache(async () => version, { ttlSeconds, maxEntries, now: () => now });
  beforeEach(() => {
    now = 1_000_000;
    version = 'v1';
  });

  it('answers a repeat from memory, whatever the order of the fields', async () => {
    const cache = make();
    const first = await cache.probe<string>({ a: 1, b: { c: [1, 2], d: null } });
    expect(first?.value).toBeUndefined();
    first?.save('answer');
    expect((await cache.probe<string>({ b: { d: null, c: [1, 2] }, a: 1 }))?.value).toBe('answer');
    expect((await cache.probe<string>({ a: 1, b: { c: [2, 1], d: null } }))?.value).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 1, hits: 1, misses: 2 });
    expect(canonicalJson({ b: 1, a: [{ y: 1, x: 2 }] })).toBe('{"a":[{"x":2,"y":1}],"b":1}');
  });

  it('drops every answer once the write version changes, and never keeps one computed across a change', async () => {
    const cache = make();
    (await cache.probe('k'))?.save('old');
    const during = await cache.probe('other');
    version = 'v2';
    expect((await cache.probe('k'))?.value).toBeUndefined();
    expect(cache.stats()).toMatchObject({ entries: 0, invalidated: 1 });
    // Read before the write: the answer may predate it, so it is not kept.
    during?.save('computed before v2');
    expect((await cache.probe('other'))?.value).toBeUndefined();
    cache.noteWrite();
    (await cache.probe('k'))?.save('new');
    cache.noteWrite();
    expect((await cache.probe('k'))?.value).toBeUndefined();
  });

  it('expires answers after the TTL by its clock, and a TTL set later applies to them too', async () => {
    const cache = make(60);
    (await cache.probe('k'))?.save('x');
    now += 59_999;
    expect((await cache.probe('k'))?.value).toBe('x');
    now += 1;
    expect((await cache.probe('k'))?.value).toBeUndefined();
    expect(cache.stats().expired).toBe(1);
    (await cache.probe('k'))?.save('y');
    now += 10_000;
    cache.setTtl(10);
    expect((await cache.probe('k'))?.value).toBeUndefined();
  });

  it('keeps at most max_entries, dropping the least recently used', async () => {
    const cache = make(60, 2);
    (await cache.probe('a'))?.save(1);
    (await cache.probe('b'))?.save(2);
    expect((await cache.probe('a'))?.value).toBe(1);
    (await cache.probe('c'))?.save(3);
    expect((await cache.probe('b'))?.value).toBeUndefined();
    expect((await cache.probe('a'))?.value).toBe(1);
    expect(cache.stats()).toMatchObject({ entries: 2, evicted: 1 });
  });

  it('turns off at TTL 0, clears on demand, and refuses a TTL that is not whole seconds from 0 to a day', async () => {
    const cache = make();
    (await cache.probe('a'))?.save(1);
    expect(cache.clear()).toBe(1);
    expect((await cache.probe('a'))?.value).toBeUndefined();
    cache.setTtl(0);
    expect(await cache.probe('a')).toBeUndefined();
    expect(cache.stats()).toMatchObject({ enabled: false, ttl_seconds: 0, entries: 0 });
    for (const bad of [-1, 1.5, 86_401, Number.NaN]) {
      expect(() => cache.setTtl(bad)).toThrow(MemoryError);
    }
    expect(() => make(-5)).toThrow(/ttl_seconds/);
  });

  it('counts a rejected hit as a miss and forgets it', async () => {
    const cache = make();
    (await cache.probe('a'))?.save(1);
    const hit = await cache.probe<number>('a');
    expect(hit?.value).toBe(1);
    hit?.reject();
    expect(cache.stats()).toMatchObject({ entries: 0, hits: 0, misses: 2 });
  });

  it('counts a write made through a watched store once it has finished, failed or not; reads and accesses do not', async () => {
    const cache = make();
    let finish = () => {};
    const fake = {
      kind: 'memory',
      getMemories: async () => [],
      recordAccess: async () => {},
      writeVersion: async () => version,
      putMemories: () => new Promise<never[]>((resolve) => (finish = () => resolve([]))),
      deleteMemories: async () => {
        throw new Error('down');
      },
    } as unknown as MemoryStore;
    const store = cache.watch(fake);
    (await cache.probe('k'))?.save('x');
    await store.getMemories(['a']);
    await store.recordAccess(['a'], 1);
    expect((await cache.probe('k'))?.value).toBe('x');
    const put = store.putMemories([], { deduplicate: false });
    // Under way: the answer may still be current, and a search starting now reads the version before the write lands.
    expect((await cache.probe('k'))?.value).toBe('x');
    finish();
    await put;
    expect((await cache.probe('k'))?.value).toBeUndefined();
    (await cache.probe('k'))?.save('y');
    await expect(store.deleteMemories(['a'])).rejects.toThrow('down');
    expect((await cache.probe('k'))?.value).toBeUndefined();
    expect(store.kind).toBe('memory');
  });
});

const dir = mkdtempSync(join(tmpdir(), 'am-query-cache-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;

/** A fast engine (hashed embedder, no related words) on `path`. */
const engineOn = (path: string, env: Record<string, string> = {}) =>
  openEngine(
    loadConfig({
      SQLITE_PATH: path,
      LOG_LEVEL: 'silent',
      EMBEDDING_MODEL: 'offline-hash-v1',
      RELATED_WORDS: 'false',
      ...env,
    }),
  );

describe('the query cache in the engine (SQLite file)', () => {
  let path: string;
  let a: Engine;
  let b: Engine;
  beforeEach(async () => {
    path = join(dir, `m-${++n}.db`);
    a = await engineOn(path);
    // A second engine on the same file stands for another process: it shares nothing with `a` but the file.
    b = await engineOn(path);
    await a.longTerm.create([
      { id: 'bike', text: 'Alice rides a red bicycle to work', namespace: 'n' },
      { id: 'cello', text: 'Bob plays the cello on Sundays', namespace: 'n' },
      { id: 'boat', text: 'Alice sails a small red boat', namespace: 'n' },
    ]);
  });
  afterEach(async () => {
    await a.close();
    await b.close();
  });

  const ids = (r: { memories: { id: string }[] }) => r.memories.map((m) => m.id);
  const query = { text: 'red bicycle Alice', namespace: { eq: 'n' } };

  it('answers a repeated search from the cache, with records read afresh and the ranking of a fresh search', async () => {
    const keyword = vi.spyOn(a.store, 'keywordSearch');
    const vector = vi.spyOn(a.store, 'vectorSearch');
    const storeCalls = () => keyword.mock.calls.length + vector.mock.calls.length;
    for (const search_mode of ['hybrid', 'keyword', 'semantic'] as const) {
      const before = storeCalls();
      const first = await a.longTerm.search({ ...query, search_mode });
      expect(storeCalls()).toBeGreaterThan(before);
      const calls = storeCalls();
      const again = await a.longTerm.search({ ...query, search_mode });
      expect(ids(again)).toEqual(ids(first));
      expect(again.total).toBe(first.total);
      // The first search's accesses were written: the cached answer's records carry them.
      expect(again.memories[0]!.access_count).toBe(first.memories[0]!.access_count + 1);
      // Recency weights re-rank the cached candidates: the same ranking serves a search without them.
      const plain = await a.longTerm.search({ ...query, search_mode, recency_boost: false }, { touch: false });
      expect(storeCalls(), search_mode).toBe(calls);
      const fresh = await b.longTerm.search({ ...query, search_mode, recency_boost: false }, { touch: false });
      expect(plain.memories.map((m) => [m.id, m.score])).toEqual(fresh.memories.map((m) => [m.id, m.score]));
      expect(plain.total).toBe(fresh.total);
    }
    expect(a.queryCache.stats()).toMatchObject({ hits: 6, misses: 3 });
  });

  it('shares one ranking between pages of a small window and between recency weights', async () => {
    const keyword = vi.spyOn(a.store, 'keywordSearch');
    const one = await a.longTerm.search({ ...query, search_mode: 'keyword', limit: 1 });
    const two = await a.longTerm.search({ ...query, search_mode: 'keyword', limit: 1, offset: 1 });
    await a.longTerm.search({ ...query, search_mode: 'keyword', recency_recency_weight: 0.9 });
    expect(keyword).toHaveBeenCalledTimes(1);
    expect(ids(one)).not.toEqual(ids(two));
  });

  it('is invalidated by a write through the same engine', async () => {
    expect(ids(await a.longTerm.search({ ...query, search_mode: 'keyword' }))).not.toContain('bike2');
    await a.longTerm.create([{ id: 'bike2', text: 'a red bicycle with a bell', namespace: 'n' }]);
    expect(ids(await a.longTerm.search({ ...query, search_mode: 'keyword' }))).toContain('bike2');
    await a.longTerm.delete(['bike2']);
    expect(ids(await a.longTerm.search({ ...query, search_mode: 'keyword' }))).not.toContain('bike2');
    expect(a.queryCache.stats().hits).toBe(0);
  });

  it('is invalidated by writes of another process on the same file: create, edit, delete', async () => {
    const search = () => a.longTerm.search({ ...query, search_mode: 'keyword' });
    const before = await search();
    expect(ids(await search())).toEqual(ids(before));
    expect(a.queryCache.stats().hits).toBe(1);

    await b.longTerm.create([{ id: 'bike2', text: 'a red bicycle with a bell', namespace: 'n' }]);
    expect(ids(await search())).toContain('bike2');
    await b.longTerm.edit('bike2', { text: 'a blue tricycle' });
    expect(ids(await search())).not.toContain('bike2');
    await b.longTerm.delete(['bike']);
    expect(ids(await search())).not.toContain('bike');
    expect(a.queryCache.stats()).toMatchObject({ hits: 1 });
    expect(a.queryCache.stats().invalidated).toBeGreaterThan(0);
  });

  it('caches listings (no text) too, and another process invalidates them', async () => {
    const list = () => a.longTerm.search({ text: '', namespace: { eq: 'n' }, limit: 10 });
    const first = await list();
    expect((await list()).memories.map((m) => m.id)).toEqual(first.memories.map((m) => m.id));
    expect(a.queryCache.stats().hits).toBe(1);
    await b.longTerm.create([{ id: 'new', text: 'something new', namespace: 'n' }]);
    const after = await list();
    expect(after.total).toBe(first.total + 1);
    expect(ids(after)).toContain('new');
  });

  it('computes the answer afresh when a cached memory is gone though the version did not change', async () => {
    const search = () => a.longTerm.search({ ...query, search_mode: 'keyword', recency_boost: false });
    expect(ids(await search())).toContain('bike');
    // Behind the store's back (no version bump): what a write path that forgot its bump would leave.
    (a.store as unknown as SqliteStore).db.prepare("DELETE FROM memories WHERE id = 'bike'").run();
    const again = await search();
    expect(ids(again)).not.toContain('bike');
    expect(again.total).toBe(ids(again).length);
    expect(a.queryCache.stats()).toMatchObject({ hits: 0 });
  });

  it('is off with QUERY_CACHE_TTL_SECONDS=0', async () => {
    const off = await engineOn(path, { QUERY_CACHE_TTL_SECONDS: '0' });
    try {
      const keyword = vi.spyOn(off.store, 'keywordSearch');
      await off.longTerm.search({ ...query, search_mode: 'keyword' });
      await off.longTerm.search({ ...query, search_mode: 'keyword' });
      expect(keyword).toHaveBeenCalledTimes(2);
      expect(off.queryCache.stats()).toMatchObject({ enabled: false, hits: 0, misses: 0 });
    } finally {
      await off.close();
    }
  });
});
