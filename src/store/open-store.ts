import type { Config } from '../config.js';
import type { MemoryStore } from './port.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';

/** `memory` is the SQLite adapter on an in-process database: one implementation, two lifetimes. */
export async function openStore(config: Config): Promise<MemoryStore> {
  if (config.backend === 'postgres') {
    // Loaded only when chosen, so SQLite users never load pg.
    const { openPostgresStore } = await import('./postgres/postgres-store.js');
    return openPostgresStore({
      url: config.postgres.url,
      poolSize: config.postgres.poolSize,
      schema: config.postgres.schema,
      attributePaths: config.attributePaths,
    });
  }
  if (config.backend === 'redis') {
    // Loaded only when chosen, so SQLite users never load the Redis client.
    const { openRedisStore } = await import('./redis/redis-store.js');
    return openRedisStore({
      url: config.redis.url,
      keyPrefix: config.redis.keyPrefix,
      requireSearch: config.redis.requireSearch,
      attributePaths: config.attributePaths,
    });
  }
  return openSqliteStore({
    path: config.backend === 'memory' ? ':memory:' : config.sqlitePath,
    busyTimeoutMs: config.busyTimeoutMs,
    searchThread: config.sqliteSearchThread,
    compress: config.sqliteCompress,
    vectorListsMin: config.sqliteVectorListsMin,
    attributePaths: config.attributePaths,
  });
}
