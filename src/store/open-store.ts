import type { Config } from '../config.js';
import type { MemoryStore } from './port.js';
import { openSqliteStore } from './sqlite/sqlite-store.js';

/** `memory` is the SQLite adapter on an in-process database: one implementation, two lifetimes. */
export function openStore(config: Config): Promise<MemoryStore> {
  return openSqliteStore({
    path: config.backend === 'memory' ? ':memory:' : config.sqlitePath,
    busyTimeoutMs: config.busyTimeoutMs,
  });
}
