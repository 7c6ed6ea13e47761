/**
 * The Redis store on a Redis Cluster of three masters (Debian's redis-server, started here): working memory, the
 * activity stream, summary views, the task queue and locks, through ioredis' Cluster client. Long-term search is
 * not run in cluster mode: see docs/redis.md, "Cluster".
 */
import { Redis } from 'ioredis';
import { afterAll, describe, expect, it } from 'vitest';
import { openRedisStore, type RedisStore } from '../../src/store/redis/redis-store.js';
import { type RedisClusterHarness, startRedisCluster } from '../helpers/redis-cluster.js';
import { findRedisServer } from '../helpers/redis-server.js';
import { describeStoreConformance } from './conformance.js';
import { mem, workingMemory } from './records.js';

const noServer = findRedisServer() ? null : 'no redis-server (apt-get install -y redis-server)';
if (noServer) console.warn(`Redis Cluster tests skipped: ${noServer}`);
const cluster: RedisClusterHarness | null = noServer ? null : await startRedisCluster(3);
afterAll(() => cluster?.stop());

let n = 0;
const prefix = () => `cl-${process.pid}-${Date.now().toString(36)}-${++n}`;

async function clusterStore(keyPrefix = prefix()): Promise<RedisStore> {
  const store = await openRedisStore({ url: cluster!.url, keyPrefix, requireSearch: false });
  const close = store.close.bind(store);
  store.close = async () => {
    await store.destroy().catch(() => {});
    await close();
  };
  return store;
}

const SEARCH_IN_CLUSTER =
  'long-term search is not served in cluster mode: a search index lives on one node and OSS RediSearch has no ' +
  'cross-shard coordinator (docs/redis.md, "Cluster")';

if (noServer) describe.skip(`MemoryStore conformance: redis cluster (skipped: ${noServer})`, () => {});
else describeStoreConformance('redis cluster, 3 masters', () => clusterStore(), { skipSearch: SEARCH_IN_CLUSTER });

describe.skipIf(noServer)('redis cluster placement', () => {
  it('refuses to open without REDIS_REQUIRE_SEARCH=false, and refuses long-term writes, saying why', async () => {
    const refused = openRedisStore({ url: cluster!.url, keyPrefix: prefix() });
    await expect(refused).rejects.toThrow(/not served on a Redis Cluster/);
    const s = await clusterStore();
    try {
      await expect(s.putMemories([mem()], { deduplicate: false })).rejects.toMatchObject({
        kind: 'unavailable',
        message: expect.stringMatching(/not served on a Redis Cluster.*PostgreSQL/),
      });
    } finally {
      await s.close();
    }
  });

  it('keeps each store whole on one master, and spreads stores over the masters', async () => {
    const stores = await Promise.all(Array.from({ length: 8 }, () => clusterStore()));
    try {
      for (const s of stores) {
        await s.putSession(workingMemory({ session_id: 'one' }));
        await s.tasks.enqueue({ kind: 'job', payload: {}, runAt: 0, maxAttempts: 1 }, 0);
      }
      const owners = new Map<string, Set<number>>();
      for (const port of cluster!.ports) {
        const node = new Redis({ port, host: '127.0.0.1', maxRetriesPerRequest: 0 });
        try {
          for (const key of (await node.keys('{cl-*')) as string[]) {
            const p = key.slice(1, key.indexOf('}'));
            owners.set(p, (owners.get(p) ?? new Set()).add(port));
          }
        } finally {
          node.disconnect();
        }
      }
      const mine = stores.map((s) => s.keys.base.slice(1, s.keys.base.indexOf('}')));
      for (const p of mine) expect(owners.get(p)?.size, `keys of ${p}`).toBe(1);
      const used = new Set(mine.flatMap((p) => [...owners.get(p)!]));
      expect(used.size).toBeGreaterThan(1);
      for (const s of stores) expect((await s.getSession({ session_id: 'one' }))?.session_id).toBe('one');
    } finally {
      await Promise.all(stores.map((s) => s.close()));
    }
  });
});
