import { afterAll } from 'vitest';
import { openRedisStore, type RedisStore, type RedisStoreOptions } from '../../src/store/redis/redis-store.js';
import { type RedisHarness, redisUnavailableReason, startRedis } from '../helpers/redis-server.js';

/** Why every Redis test skips (no Redis at all), or null. */
export const noRedis = redisUnavailableReason();
if (noRedis) console.warn(`Redis store tests skipped: ${noRedis}`);

/** One server per test file, started at import (top-level await) so suites know whether it has search. */
export const harness: RedisHarness | null = noRedis ? null : await startRedis();
afterAll(() => harness?.stop());

export const noSearch =
  harness && !harness.hasSearch
    ? 'this Redis has no search module (set REDIS_SEARCH_MODULE=/path/to/redisearch.so, or REDIS_URL to Redis 8 / Redis Stack)'
    : undefined;
if (noSearch) console.warn(`Redis long-term/search tests skipped: ${noSearch}`);

let n = 0;
/** A unique key prefix per store, so tests sharing the server never see each other's keys. */
export const freshPrefix = () => `test-${process.pid}-${Date.now().toString(36)}-${++n}`;

/** A fresh store under its own prefix; close() also deletes its keys and indexes, so the server stays small. */
export async function freshStore(opts: Partial<RedisStoreOptions> = {}): Promise<RedisStore> {
  const store = await openRedisStore({
    url: harness!.url,
    keyPrefix: freshPrefix(),
    requireSearch: false,
    ...opts,
  });
  const close = store.close.bind(store);
  store.close = async () => {
    await store.destroy().catch(() => {});
    await close();
  };
  return store;
}
