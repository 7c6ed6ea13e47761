import { describe, expect, it } from 'vitest';
import { CachedEmbedder, contentHash, type VectorCache } from '../../src/llm/cached-embedder.js';
import type { Embedder } from '../../src/llm/embedder.js';

class CountingEmbedder implements Embedder {
  readonly model = 'counting';
  readonly dimension = 2;
  readonly fusion = { alpha: 0.5, basis: 'test' };
  embedded: string[] = [];
  async embed(texts: string[]): Promise<Float32Array[]> {
    this.embedded.push(...texts);
    return texts.map((t) => Float32Array.from([t.length, 1]));
  }
}

class MapCache implements VectorCache {
  readonly data = new Map<string, Float32Array>();
  gets = 0;
  async getCachedVectors(model: string, hashes: string[]) {
    this.gets++;
    const out = new Map<string, Float32Array>();
    for (const h of hashes) {
      const v = this.data.get(`${model}:${h}`);
      if (v) out.set(h, v);
    }
    return out;
  }
  async putCachedVectors(model: string, entries: [string, Float32Array][]) {
    for (const [h, v] of entries) this.data.set(`${model}:${h}`, v);
  }
}

describe('CachedEmbedder', () => {
  it('embeds a text once across calls', async () => {
    const inner = new CountingEmbedder();
    const e = new CachedEmbedder(inner, new MapCache());
    const first = await e.embed(['a', 'bb']);
    const second = await e.embed(['bb', 'ccc', 'a']);
    expect(inner.embedded).toEqual(['a', 'bb', 'ccc']);
    expect(first.map((v) => v[0])).toEqual([1, 2]);
    expect(second.map((v) => v[0])).toEqual([2, 3, 1]);
    expect(e.model).toBe('counting');
    expect(e.dimension).toBe(2);
  });

  it('embeds duplicates within one call once', async () => {
    const inner = new CountingEmbedder();
    const vectors = await new CachedEmbedder(inner, new MapCache()).embed(['x', 'x', 'yy', 'x']);
    expect(inner.embedded).toEqual(['x', 'yy']);
    expect(vectors.map((v) => v[0])).toEqual([1, 1, 2, 1]);
  });

  it('uses the persistent cache across instances (restarts)', async () => {
    const cache = new MapCache();
    await new CachedEmbedder(new CountingEmbedder(), cache).embed(['hello']);
    expect(cache.data.has(`counting:${contentHash('hello')}`)).toBe(true);
    const inner = new CountingEmbedder();
    await new CachedEmbedder(inner, cache).embed(['hello']);
    expect(inner.embedded).toEqual([]);
  });

  it('answers repeats from the in-process LRU without asking the store', async () => {
    const cache = new MapCache();
    const e = new CachedEmbedder(new CountingEmbedder(), cache);
    await e.embed(['a']);
    const gets = cache.gets;
    await e.embed(['a', 'a']);
    expect(cache.gets).toBe(gets);
  });

  it('re-embeds cached vectors of the wrong dimension', async () => {
    const cache = new MapCache();
    cache.data.set(`counting:${contentHash('a')}`, Float32Array.from([9, 9, 9]));
    const inner = new CountingEmbedder();
    const [v] = await new CachedEmbedder(inner, cache).embed(['a']);
    expect(inner.embedded).toEqual(['a']);
    expect(Array.from(v!)).toEqual([1, 1]);
  });

  it('returns copies the caller may modify', async () => {
    const e = new CachedEmbedder(new CountingEmbedder(), new MapCache());
    const [v] = await e.embed(['a']);
    v![0] = 42;
    const [again] = await e.embed(['a']);
    expect(again![0]).toBe(1);
  });

  it('evicts the least recently used entry', async () => {
    const cache = new MapCache();
    const e = new CachedEmbedder(new CountingEmbedder(), cache, 2);
    await e.embed(['a', 'b']);
    await e.embed(['a']); // a is now most recent
    await e.embed(['c']); // evicts b
    const gets = cache.gets;
    await e.embed(['a', 'c']);
    expect(cache.gets).toBe(gets);
    await e.embed(['b']);
    expect(cache.gets).toBe(gets + 1);
  });

  it('does nothing for an empty list', async () => {
    const cache = new MapCache();
    expect(await new CachedEmbedder(new CountingEmbedder(), cache).embed([])).toEqual([]);
    expect(cache.gets).toBe(0);
  });
});
