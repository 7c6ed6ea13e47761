import type { MemoryStore } from '../store/port.js';
import { contentHash } from '../util/content-hash.js';
import type { Embedder, EmbedPurpose } from './embedder.js';

export type VectorCache = Pick<
  MemoryStore,
  'getCachedVectors' | 'putCachedVectors' | 'readOnly' | 'keepsMemoryVectors'
>;

export { contentHash };

/**
 * Embeds each distinct text at most once per model: a process-local LRU first, then the store's persistent cache,
 * and only then the wrapped embedder. Wrap an embedder whose dimension is already known (see `makeEmbedder`).
 */
export class CachedEmbedder implements Embedder {
  private readonly recent = new Map<string, Float32Array>();

  constructor(
    private readonly inner: Embedder,
    private readonly cache: VectorCache,
    private readonly recentMax = 10_000,
  ) {}

  get model(): string {
    return this.inner.model;
  }

  get dimension(): number {
    return this.inner.dimension;
  }

  get fusion() {
    return this.inner.fusion;
  }

  /** Releases what the wrapped embedder holds (a worker thread). */
  async close(): Promise<void> {
    await this.inner.close?.();
  }

  forget(hashes: string[]): void {
    for (const h of hashes) this.recent.delete(h);
  }

  /** Lets an embedder that loads lazily start loading now. */
  warmUp(): void {
    this.inner.warmUp?.();
  }

  async embed(texts: string[], purpose: EmbedPurpose = 'query'): Promise<Float32Array[]> {
    if (texts.length === 0) return [];
    const hashes = texts.map(contentHash);
    const textOf = new Map<string, string>();
    for (let i = 0; i < hashes.length; i++) if (!textOf.has(hashes[i]!)) textOf.set(hashes[i]!, texts[i]!);

    const found = new Map<string, Float32Array>();
    const notRecent: string[] = [];
    for (const h of textOf.keys()) {
      const v = this.recentGet(h);
      if (v) found.set(h, v);
      else notRecent.push(h);
    }

    if (notRecent.length > 0) {
      const stored = await this.cache.getCachedVectors(this.model, notRecent);
      const toEmbed: string[] = [];
      for (const h of notRecent) {
        const v = stored.get(h);
        // Same model name with another EMBEDDING_DIMENSIONS leaves vectors of the wrong length: treat as a miss.
        if (v && v.length === this.dimension) {
          found.set(h, v);
          this.recentPut(h, v);
        } else {
          toEmbed.push(h);
        }
      }
      if (toEmbed.length > 0) {
        const vectors = await this.inner.embed(toEmbed.map((h) => textOf.get(h)!));
        const entries = toEmbed.map((h, i): [string, Float32Array] => [h, vectors[i]!]);
        // A read-only store keeps what it has, and a store that serves memories' vectors as cached ones will
        // hold these with the memories; either way they stay in the in-process cache.
        const stored = purpose === 'memory' && this.cache.keepsMemoryVectors;
        if (!this.cache.readOnly && !stored) await this.cache.putCachedVectors(this.model, entries);
        for (const [h, v] of entries) {
          found.set(h, v);
          this.recentPut(h, v);
        }
      }
    }
    // Copies, so a caller that normalises or edits its vector in place cannot corrupt the cache.
    return hashes.map((h) => found.get(h)!.slice());
  }

  private recentGet(hash: string): Float32Array | undefined {
    const v = this.recent.get(hash);
    if (v) {
      // Re-insert to mark as most recently used: Map iteration order is insertion order.
      this.recent.delete(hash);
      this.recent.set(hash, v);
    }
    return v;
  }

  private recentPut(hash: string, v: Float32Array): void {
    this.recent.delete(hash);
    this.recent.set(hash, v);
    if (this.recent.size > this.recentMax) {
      const oldest = this.recent.keys().next().value;
      if (oldest !== undefined) this.recent.delete(oldest);
    }
  }
}
