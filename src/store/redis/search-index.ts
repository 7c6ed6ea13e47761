import { MemoryError } from '../../errors.js';
import type { RedisClient } from './client.js';
import { createIndexArgs, exactVectorField, indexVersionOf, vectorField } from './index-schema.js';
import type { Keys } from './keys.js';

/** RediSearch 2.6 is the first with vector range queries, query attributes and DIALECT 2 used here. */
export const MIN_SEARCH_VERSION = 20600;

export const NO_SEARCH_MESSAGE =
  'This Redis has no search module (RediSearch / Query Engine). agent-memory needs Redis 8, Redis Stack, ' +
  'Redis Cloud, or Redis with the RediSearch module 2.6 or newer.';

/** Why a store on a Redis Cluster has no long-term search, even when its nodes load the module. */
export const CLUSTER_SEARCH_MESSAGE =
  'Long-term memory search is not served on a Redis Cluster: a search index covers only the node it is created on, ' +
  'and open-source RediSearch has no coordinator to search across shards. Working memory and tasks work here; for ' +
  'long-term memory use one Redis (or Sentinel) with the search module, or PostgreSQL (docs/redis.md, "Cluster").';

export interface Generation {
  gen: number;
  dim: number;
  index: string;
  /** Hash field of the vector, and its HNSW index attribute. */
  field: string;
  /** The FLAT (exact) index attribute over the same field. */
  exactField: string;
}

const isReply = (err: unknown, pattern: RegExp) => pattern.test((err as Error)?.message ?? '');

/**
 * What the server offers: whether the search module is loaded, and which version, when MODULE LIST is allowed
 * (managed services may refuse it).
 */
export async function detectSearch(client: RedisClient): Promise<{ available: boolean; version?: number }> {
  try {
    await client.call('FT._LIST');
  } catch (err) {
    if (isReply(err, /unknown command/i)) return { available: false };
    throw err;
  }
  try {
    const modules = (await client.call('MODULE', 'LIST')) as unknown[][];
    for (const m of modules) {
      const fields = new Map<string, unknown>();
      for (let i = 0; i + 1 < m.length; i += 2) fields.set(String(m[i]), m[i + 1]);
      const name = String(fields.get('name') ?? '').toLowerCase();
      if (name === 'search' || name === 'ft') return { available: true, version: Number(fields.get('ver')) };
    }
  } catch {
    // MODULE LIST is often disabled on managed Redis; FT._LIST answering is proof enough.
  }
  return { available: true };
}

/** The search index of the store, one per vector generation, created on demand and cached per process. */
export class SearchIndex {
  private readonly created = new Set<string>();

  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    readonly available: boolean,
    private readonly unavailableMessage = NO_SEARCH_MESSAGE,
    /** AGENT_ATTRIBUTE_PATHS: each declared path is two fields of the index (index-schema.ts attributeFields). */
    readonly attributePaths: readonly string[] = [],
  ) {
    this.version = indexVersionOf(attributePaths);
  }

  /** The index version this store records (INDEX_VERSION, with a digest of the declared attribute paths). */
  readonly version: string;

  requireSearch(): void {
    if (!this.available) throw new MemoryError('unavailable', this.unavailableMessage);
  }

  describe(gen: number, dim: number): Generation {
    return {
      gen,
      dim,
      index: this.keys.index(this.version, gen),
      field: vectorField(gen),
      exactField: exactVectorField(gen),
    };
  }

  /** The live generation from meta (read per call, so a re-embed by another process is picked up), or null. */
  async current(): Promise<Generation | null> {
    const [gen, dim] = await this.client.hmget(this.keys.meta, 'vector_generation', 'vector_dimension');
    if (!gen || !dim) return null;
    const g = this.describe(Number(gen), Number(dim));
    if (this.available) await this.ensure(g);
    return g;
  }

  /** Creates the index of `g` unless this process already knows it exists. */
  async ensure(g: Generation): Promise<void> {
    if (this.created.has(g.index)) return;
    try {
      await this.client.call(
        'FT.CREATE',
        ...createIndexArgs(g.index, this.keys.memoryPrefix, g.gen, g.dim, this.attributePaths),
      );
      // An index created over existing hashes fills in the background; wait, so searches see every memory.
      await this.waitIndexed(g.index);
    } catch (err) {
      if (!isReply(err, /already exists/i)) throw err;
    }
    this.created.add(g.index);
  }

  async drop(index: string): Promise<void> {
    this.created.delete(index);
    try {
      // Without DD: the memory hashes stay; only the index goes.
      await this.client.call('FT.DROPINDEX', index);
    } catch (err) {
      if (!isReply(err, /unknown index|no such index/i)) throw err;
    }
  }

  /** Waits until background indexing of `index` is done (FT.INFO `indexing` 0). */
  async waitIndexed(index: string, onProgress?: (fraction: number) => void): Promise<void> {
    for (;;) {
      const info = (await this.client.call('FT.INFO', index)) as unknown[];
      const field = (name: string) => {
        const at = info.findIndex((x) => String(x) === name);
        return at === -1 ? undefined : String(info[at + 1]);
      };
      const fraction = Number(field('percent_indexed') ?? 1);
      onProgress?.(fraction);
      if (field('indexing') === '0' || fraction >= 1) return;
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}
