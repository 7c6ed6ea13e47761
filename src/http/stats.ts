import type { Engine } from '../core/engine.js';
import type { StoreFilter } from '../models/filters.js';
import { VERSION } from '../version.js';

export interface StoreStats {
  namespace: string | null;
  long_term_memories: number;
  working_memory_sessions: number;
  store: string;
  embedding_model: string;
  version: string;
  uptime_seconds: number;
}

export interface StatsSource {
  stats(namespace: string | null, userId?: string | null): Promise<StoreStats>;
}

export function statsSource(engine: Engine, startedAt = Date.now()): StatsSource {
  return {
    async stats(namespace, userId) {
      const filter: StoreFilter = { tags: {}, times: {} };
      if (namespace !== null) filter.tags.namespace = { eq: namespace };
      if (userId) filter.tags.user_id = { eq: userId };
      const [memories, sessions] = await Promise.all([
        engine.store.countMemories(filter),
        engine.store.listSessions({ namespace: namespace ?? undefined, user_id: userId ?? undefined }, 1, 0),
      ]);
      return {
        namespace,
        long_term_memories: memories,
        working_memory_sessions: sessions.total,
        store: engine.store.kind,
        embedding_model: engine.embedder.model,
        version: VERSION,
        uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
      };
    },
  };
}
