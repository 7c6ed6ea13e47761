import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { openStore } from '../store/open-store.js';
import { LATEST_SCHEMA_VERSION } from '../store/sqlite/migrations.js';

/**
 * `agent-memory migrate-memories`, the reference's command. Its migrations backfill fields on memories it stored
 * before they existed (memory_hash, discrete_memory_extracted, memory_type) and rewrite its tag separators, in
 * its own Redis key format. This server has written all of those on every memory, and tags as lists, since its
 * first version, and it applies its own schema migrations whenever it opens a store. So the command opens the
 * configured store (which brings a SQLite file's schema up to date), says so, and exits 0.
 */
export async function migrateMemoriesCommand(args: string[], config: Config): Promise<void> {
  parseArgs({ args, options: {} });
  const store = await openStore(config);
  try {
    const where =
      store.kind === 'redis'
        ? 'the Redis store (its keys and index are this server’s own; rebuild-index rebuilds the index)'
        : store.kind === 'postgres'
          ? 'the PostgreSQL store (its schema migrations were applied on open)'
          : store.kind === 'sqlite'
            ? store.readOnly
              ? `${config.sqlitePath} (opened read-only, so nothing was written: ${store.readOnly})`
              : `${config.sqlitePath} (SQLite schema version ${LATEST_SCHEMA_VERSION}, the latest, applied on open)`
            : 'the in-process store';
    process.stdout.write(
      `Nothing to migrate in ${where}: every memory already has memory_hash, discrete_memory_extracted and ` +
        'memory_type, and tags are stored as lists. The reference server’s migrations backfill those on data ' +
        'written by its own older versions, which this server does not read.\n',
    );
  } finally {
    await store.close();
  }
}
