import { ProgressBar } from '../../cli/progress.js';
import type { Config } from '../../config.js';
import { MemoryError } from '../../errors.js';
import { openRedisStore } from './redis-store.js';

/**
 * `agent-memory rebuild-index`: drops the Redis search index and builds it again from the memory hashes, e.g.
 * after an upgrade changed the index schema, or to repair an index. Memories are not touched.
 */
export async function rebuildIndexCommand(config: Config): Promise<void> {
  if (config.backend !== 'redis') {
    throw new MemoryError('invalid', 'rebuild-index is for MEMORY_BACKEND=redis; SQLite keeps its indexes itself.');
  }
  const store = await openRedisStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix });
  try {
    const bar = new ProgressBar('rebuild-index', 100);
    const n = await store.rebuildIndex((fraction) =>
      bar.update(Math.round(fraction * 100), `${Math.round(fraction * 100)}%`),
    );
    bar.done(`indexed ${n} memories`);
  } finally {
    await store.close();
  }
}
