import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { openEngine } from '../core/engine.js';
import { ProgressBar } from './progress.js';

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
    let vectorBar: ProgressBar | undefined;
    const vectors = await store.reembedAll(
      embedder.model,
      embedder.dimension,
      (texts) => embedder.embed(texts),
      (done, total) => {
        vectorBar ??= new ProgressBar('rebuild-index: vectors', total);
        vectorBar.update(done, `${done}/${total}`);
      },
    );
    (vectorBar ?? new ProgressBar('rebuild-index: vectors', vectors)).done(
      `vector index: ${vectors} memories (${embedder.model})`,
    );
    let keywordBar: ProgressBar | undefined;
    const keywords = await engine.longTerm.rebuildKeywordIndex((done, total) => {
      keywordBar ??= new ProgressBar('rebuild-index: keywords', total);
      keywordBar.update(done, `${done}/${total}`);
    });
    (keywordBar ?? new ProgressBar('rebuild-index: keywords', keywords)).done(
      `keyword index (FTS5) and tags: ${keywords} memories`,
    );
    process.stderr.write(
      `rebuilt the indexes of ${keywords} memories in ${config.backend === 'sqlite' ? config.sqlitePath : 'memory'}\n`,
    );
  } finally {
    await engine.close();
  }
}
