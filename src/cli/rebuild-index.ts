import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { openEngine } from '../core/engine.js';
import { lazyBar } from './progress.js';

/**
 * `agent-memory rebuild-index`, on every store. Redis: drops the search index and builds it again from the memory
 * hashes. SQLite (and `memory`): rebuilds the vector index (a fresh generation of vectors and binary codes from the
 * stored texts, swapped in when complete, as `reembed` does but with the recorded model) and then the FTS5 keyword
 * index and tags, with progress on stderr. Memories themselves are not changed.
 */
export async function rebuildIndexCommand(args: string[], config: Config): Promise<void> {
  // No options: the reference's command takes none either. parseArgs refuses any that is given.
  parseArgs({ args, options: {} });
  if (config.backend === 'redis') {
    return (await import('../store/redis/rebuild-index-command.js')).rebuildIndexCommand(config);
  }
  // Manual worker: a maintenance command must not start on queued work.
  const engine = await openEngine(config, { autoStartWorker: false });
  try {
    const { embedder, store } = engine;
    const vectorBar = lazyBar('rebuild-index: vectors');
    const vectors = await store.reembedAll(
      embedder.model,
      embedder.dimension,
      (texts) => embedder.embed(texts, 'memory'),
      vectorBar.report,
    );
    vectorBar.finish(vectors, `vector index: ${vectors} memories (${embedder.model})`);
    const keywordBar = lazyBar('rebuild-index: keywords');
    const keywords = await engine.longTerm.rebuildKeywordIndex(keywordBar.report);
    const keywordIndex = config.backend === 'postgres' ? 'keyword index' : 'keyword index (FTS5) and tags';
    keywordBar.finish(keywords, `${keywordIndex}: ${keywords} memories`);
    const where =
      config.backend === 'sqlite' ? config.sqlitePath : config.backend === 'postgres' ? 'PostgreSQL' : 'memory';
    process.stderr.write(`rebuilt the indexes of ${keywords} memories in ${where}\n`);
  } finally {
    await engine.close();
  }
}
