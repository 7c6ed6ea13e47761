/**
 * The Redis write version: bumped inside the memory write scripts, so it changes atomically with each write and
 * every process on the store sees it. The write scripts need no search module (only the store's `requireSearch`
 * guard does), so this runs them on plain Redis (Debian's redis-server) through a repo whose index is a stub;
 * with the search module the conformance suite checks the same through the store itself.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { MemoryRepo } from '../../src/store/redis/memories.js';
import { BUMP_WRITE_VERSION } from '../../src/store/redis/memory-scripts.js';
import { openRedisStore, type RedisStore } from '../../src/store/redis/redis-store.js';
import { ScriptRunner } from '../../src/store/redis/scripts.js';
import type { SearchIndex } from '../../src/store/redis/search-index.js';
import { DIM, isoAt, mem, T0 } from './records.js';
import { freshPrefix, freshStore, harness, noRedis } from './redis-helpers.js';

const opened: RedisStore[] = [];
afterEach(async () => {
  for (const s of opened.splice(0).reverse()) await s.close();
});

/** The store's memory repo, on a stub index standing for the search module (the scripts never call it). */
async function writableRepo(store: RedisStore): Promise<MemoryRepo> {
  await store.client.hset(store.keys.meta, 'vector_generation', 1, 'vector_dimension', DIM);
  const index = {
    available: true,
    attributePaths: [],
    requireSearch: () => {},
    current: async () => ({ gen: 1, dim: DIM, index: 'none', field: 'v1', exactField: 'v1_exact' }),
  } as unknown as SearchIndex;
  return new MemoryRepo(store.client, store.keys, new ScriptRunner(store.client), index, store.keywordStats);
}

describe.skipIf(noRedis)('redis write version (plain Redis)', () => {
  it('changes with each write script, for every connection, and not with accesses or duplicates', async () => {
    const keyPrefix = freshPrefix();
    const one = await freshStore({ keyPrefix });
    const two = await openRedisStore({ url: harness!.url, keyPrefix, requireSearch: false });
    opened.push(one, two);
    const repo = await writableRepo(one);
    const seen = new Set<string>();
    const changed = async (write: () => Promise<unknown>) => {
      const before = await two.writeVersion();
      seen.add(before);
      await write();
      const after = await two.writeVersion();
      if (after === before) return false;
      expect(seen.has(after)).toBe(false);
      seen.add(after);
      return true;
    };
    // Nothing written yet; with the search module, opening the store built its index, which counts as a write.
    if (!harness!.hasSearch) expect(await two.writeVersion()).toBe('0');
    const a = mem({ terms: 'plum', memory_hash: 'h', namespace: 'ns' });
    expect(await changed(() => repo.put([a], true))).toBe(true);
    // The counter starts from the server clock (µs), so a store emptied and written again cannot repeat a version.
    expect(Number(await one.writeVersion())).toBeGreaterThan(Date.now() * 1000 - 3_600_000_000);
    const twin = mem({ terms: 'plum', memory_hash: 'h', namespace: 'ns' });
    expect(await changed(() => repo.put([twin], true))).toBe(false);
    const edited = { ...a, record: { ...a.record, text: 'edited', updated_at: isoAt(T0 + 1) } };
    expect(await changed(() => repo.put([edited], false))).toBe(true);
    expect(await changed(() => one.setIndexTerms([{ id: a.record.id, terms: 'prune', contextTerms: '' }]))).toBe(true);
    expect(await changed(() => one.setIndexTerms([{ id: 'unknown', terms: 'x', contextTerms: '' }]))).toBe(false);
    expect(await changed(() => one.recordAccess([a.record.id], T0 + 2))).toBe(false);
    expect((await one.getMemories([a.record.id]))[0]?.access_count).toBe(1);
    expect(await changed(() => two.deleteMemories([a.record.id]))).toBe(true);
    expect(await changed(() => two.deleteMemories([a.record.id]))).toBe(false);
  });

  it('starts again above any earlier value when the counter is lost', async () => {
    const store = await freshStore();
    opened.push(store);
    const runner = new ScriptRunner(store.client);
    await runner.run(BUMP_WRITE_VERSION, [store.keys.writeVersion], []);
    const first = BigInt(await store.writeVersion());
    await store.client.del(store.keys.writeVersion);
    await new Promise((r) => setTimeout(r, 2));
    await runner.run(BUMP_WRITE_VERSION, [store.keys.writeVersion], []);
    expect(BigInt(await store.writeVersion())).toBeGreaterThan(first);
  });
});
