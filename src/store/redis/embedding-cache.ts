import type { RedisClient } from './client.js';
import type { Keys } from './keys.js';
import { vectorBytes, vectorFromBytes } from './memory-fields.js';

/** Content hash → vector bytes, one Redis hash per model. Needs no search module. */
export class EmbeddingCache {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
  ) {}

  async get(model: string, hashes: string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    if (hashes.length === 0) return out;
    const values = await this.client.hmgetBuffer(this.keys.embeddingCache(model), ...hashes);
    values.forEach((buf, i) => {
      if (buf) out.set(hashes[i]!, vectorFromBytes(buf));
    });
    return out;
  }

  async put(model: string, entries: [string, Float32Array][]): Promise<void> {
    if (entries.length === 0) return;
    await this.client.hset(this.keys.embeddingCache(model), ...entries.flatMap(([h, v]) => [h, vectorBytes(v)]));
  }
}
