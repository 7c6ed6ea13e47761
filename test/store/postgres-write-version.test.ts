/**
 * The write version across processes on PostgreSQL: two stores (and two engines) on one schema stand for two
 * servers sharing a database; each sees the other's memory writes in its version, and its query cache drops them.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Engine, openEngine } from '../../src/core/engine.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { freshSchema, harness } from './postgres-helpers.js';
import { DIM, MODEL, mem } from './records.js';

const open: { close(): Promise<void> }[] = [];
afterEach(async () => {
  for (const o of open.splice(0).reverse()) await o.close();
});

describe('postgres write version', () => {
  it("changes for every connection when one store writes, and is left alone by the other's reads and accesses", async () => {
    const schema = freshSchema();
    const one = await openPostgresStore({ url: harness.url, schema, poolSize: 1 });
    const two = await openPostgresStore({ url: harness.url, schema, poolSize: 1 });
    open.push(two, {
      close: async () => {
        await one.destroy();
        await one.close();
      },
    });
    await one.ensureEmbeddingModel(MODEL, DIM);
    const seen = [await two.writeVersion()];
    const a = mem({ terms: 'plum' });
    await one.putMemories([a], { deduplicate: false });
    seen.push(await two.writeVersion());
    await two.recordAccess([a.record.id], Date.now());
    await two.keywordSearch(['plum'], { tags: {}, times: {} }, 5);
    expect(await one.writeVersion()).toBe(seen[1]);
    await two.deleteMemories([a.record.id]);
    seen.push(await one.writeVersion());
    expect(new Set(seen).size).toBe(3);
  });

  it('drops cached answers when another engine on the same schema writes', async () => {
    const schema = freshSchema();
    const engineOn = () =>
      openEngine(
        loadConfig({
          MEMORY_BACKEND: 'postgres',
          DATABASE_URL: harness.url,
          POSTGRES_SCHEMA: schema,
          POSTGRES_POOL_SIZE: '1',
          LOG_LEVEL: 'silent',
          EMBEDDING_MODEL: 'offline-hash-v1',
          RELATED_WORDS: 'false',
        }),
      );
    const a: Engine = await engineOn();
    const b: Engine = await engineOn();
    open.push(a, {
      close: async () => {
        await (b.store as PostgresStore).destroy();
        await b.close();
      },
    });
    await a.longTerm.create([{ id: 'fig', text: 'figs grow in the garden' }]);
    const search = async () =>
      (await a.longTerm.search({ text: 'garden figs', search_mode: 'keyword' })).memories.map((m) => m.id);
    expect(await search()).toEqual(['fig']);
    expect(await search()).toEqual(['fig']);
    expect(a.queryCache.stats().hits).toBe(1);
    await b.longTerm.create([{ id: 'fig2', text: 'more figs in the garden' }]);
    expect((await search()).sort()).toEqual(['fig', 'fig2']);
    await b.longTerm.delete(['fig']);
    expect(await search()).toEqual(['fig2']);
    expect(a.queryCache.stats().hits).toBe(1);
  });
});
