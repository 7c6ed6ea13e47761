import { randomUUID } from 'node:crypto';
import { MemoryError } from '../../errors.js';
import { modelMismatchMessage } from '../sqlite/embedding-model.js';
import type { RedisClient } from './client.js';
import {
  ABORT_REEMBED,
  BEGIN_REEMBED,
  ENSURE_MODEL,
  FINISH_REEMBED,
  REPLACE_EMPTY_GENERATION,
  WRITE_REEMBEDDED,
} from './embedding-model-scripts.js';
import { globPrefix, type Keys } from './keys.js';
import { dimensionError } from './memories.js';
import { isZeroVector, vectorBytes } from './memory-fields.js';
import { BUMP_WRITE_VERSION } from './memory-scripts.js';
import { scanKeys } from './scan.js';
import type { ScriptRunner } from './scripts.js';
import type { Generation, SearchIndex } from './search-index.js';

const REEMBED_BATCH = 128;
/** The re-embed lock expires unless renewed, so a crashed re-embed does not block the next one for long. */
const LOCK_MS = 120_000;

export class EmbeddingModel {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly scripts: ScriptRunner,
    private readonly index: SearchIndex,
  ) {}

  async ensure(model: string, dim: number): Promise<void> {
    const reply = await this.scripts.run<string[]>(ENSURE_MODEL, [this.keys.meta], [model, dim]);
    if (reply[0] === 'mismatch') {
      throw new MemoryError('conflict', modelMismatchMessage(reply[1]!, Number(reply[2]), model, dim));
    }
    if (reply[0] === 'vectors') {
      // Vectors were written before any model was recorded; they can only be replaced if there are none.
      const stored = Number(reply[1]);
      if (await this.hasMemories()) {
        throw new MemoryError('conflict', modelMismatchMessage('(unrecorded)', stored, model, dim));
      }
      const old = await this.index.current();
      await this.scripts.run(REPLACE_EMPTY_GENERATION, [this.keys.meta], [model, dim]);
      if (old && this.index.available) await this.index.drop(old.index);
    }
    if (this.index.available) await this.index.current();
  }

  async recorded(): Promise<{ model: string; dimension: number } | null> {
    const [model, dim] = await this.client.hmget(this.keys.meta, 'embedding_model', 'embedding_dimension');
    return model && dim ? { model, dimension: Number(dim) } : null;
  }

  private async hasMemories(): Promise<boolean> {
    for await (const batch of scanKeys(this.client, globPrefix(this.keys.memoryPrefix))) {
      if (batch.length > 0) return true;
    }
    return false;
  }

  /**
   * Builds the next vector generation (a new hash field and a new index) beside the live one, then swaps it in
   * with one atomic script once no memory is left to do, so the old model keeps serving until then and after any
   * failure. Memories written meanwhile, by any process, queue themselves again (PUT_MEMORIES).
   */
  async reembedAll(
    model: string,
    dim: number,
    embed: (texts: string[]) => Promise<Float32Array[]>,
    onProgress?: (done: number, total: number) => void,
  ): Promise<number> {
    this.index.requireSearch();
    if (!Number.isInteger(dim) || dim < 1 || dim > 65_536) {
      throw new MemoryError('invalid', `embedding dimension must be a whole number from 1 to 65536, got ${dim}`);
    }
    const token = randomUUID();
    const locked = await this.client.set(this.keys.reembedLock, token, 'PX', LOCK_MS, 'NX');
    if (locked !== 'OK') throw new MemoryError('conflict', 'A re-embed is already running on this store.');
    const live = await this.index.current();
    const gen = Number(await this.scripts.run(BEGIN_REEMBED, [this.keys.meta], [dim]));
    const next = this.index.describe(gen, dim);
    try {
      await this.client.del(this.keys.reembedTodo);
      await this.index.ensure(next);
      const total = await this.queueAll();
      let done = 0;
      for (;;) {
        const ids = (await this.client.spop(this.keys.reembedTodo, REEMBED_BATCH)) as string[];
        if (ids.length === 0) {
          const swapped = await this.scripts.run<number>(
            FINISH_REEMBED,
            [this.keys.meta, this.keys.reembedTodo],
            [model, dim, gen],
          );
          if (swapped === 1) {
            // Searches now rank by the new vectors: answers cached from the old ones go.
            await this.scripts.run(BUMP_WRITE_VERSION, [this.keys.writeVersion], []);
            break;
          }
          continue;
        }
        done += await this.embedBatch(ids, next, embed);
        await this.client.pexpire(this.keys.reembedLock, LOCK_MS);
        onProgress?.(Math.min(done, total), Math.max(done, total));
      }
      if (live) {
        await this.index.drop(live.index);
        await this.dropField(live.field);
      }
      return Number(((await this.client.call('FT.SEARCH', next.index, '*', 'LIMIT', 0, 0)) as unknown[])[0]);
    } catch (err) {
      await this.scripts.run(ABORT_REEMBED, [this.keys.meta, this.keys.reembedTodo], [gen]).catch(() => {});
      await this.index.drop(next.index).catch(() => {});
      await this.dropField(next.field).catch(() => {});
      throw err;
    } finally {
      if ((await this.client.get(this.keys.reembedLock).catch(() => null)) === token) {
        await this.client.del(this.keys.reembedLock).catch(() => {});
      }
    }
  }

  /** Queues every memory id; returns how many. Writes during the scan queue themselves. */
  private async queueAll(): Promise<number> {
    const prefix = this.keys.memoryPrefix;
    for await (const batch of scanKeys(this.client, globPrefix(prefix))) {
      await this.client.sadd(this.keys.reembedTodo, ...batch.map((k) => k.slice(prefix.length)));
    }
    return this.client.scard(this.keys.reembedTodo);
  }

  private async embedBatch(
    ids: string[],
    next: Generation,
    embed: (texts: string[]) => Promise<Float32Array[]>,
  ): Promise<number> {
    const pipe = this.client.pipeline();
    for (const id of ids) pipe.hmget(this.keys.memory(id), 'doc', 'rev');
    const rows = ((await pipe.exec()) ?? [])
      .map(([, v], i) => ({ id: ids[i]!, doc: (v as (string | null)[])[0], rev: (v as (string | null)[])[1] }))
      .filter((r): r is { id: string; doc: string; rev: string } => r.doc !== null && r.rev !== null);
    if (rows.length === 0) return 0;
    const vectors = await embed(rows.map((r) => (JSON.parse(r.doc) as { text: string }).text));
    if (vectors.length !== rows.length) {
      throw new MemoryError('unavailable', `the embedder returned ${vectors.length} vectors for ${rows.length} texts`);
    }
    for (const v of vectors) if (v.length !== next.dim) throw dimensionError(v.length, next.dim);
    const args: (string | Buffer)[] = [next.field];
    rows.forEach((r, i) => {
      const v = vectors[i]!;
      args.push(r.rev, isZeroVector(v) ? '' : vectorBytes(v));
    });
    await this.scripts.run(
      WRITE_REEMBEDDED,
      rows.map((r) => this.keys.memory(r.id)),
      args,
    );
    return rows.length;
  }

  /** Removes a generation's vectors from every memory hash (after a swap, or after a failed re-embed). */
  private async dropField(field: string): Promise<void> {
    for await (const batch of scanKeys(this.client, globPrefix(this.keys.memoryPrefix))) {
      const pipe = this.client.pipeline();
      for (const key of batch) pipe.hdel(key, field);
      await pipe.exec();
    }
  }
}
