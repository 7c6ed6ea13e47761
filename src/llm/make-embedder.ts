import { type Config, ConfigError } from '../config.js';
import type { Embedder } from './embedder.js';
import { OfflineEmbedder } from './offline-embedder.js';
import { OpenAIEmbedder } from './openai-embedder.js';

/** The configured embedder, its dimension known (an unknown remote model is probed once). */
export async function makeEmbedder(config: Config['embedding']): Promise<Embedder> {
  if (config.provider === 'offline') {
    const offline = new OfflineEmbedder();
    if (config.dimensions !== undefined && config.dimensions !== offline.dimension) {
      throw new ConfigError(
        `Invalid configuration:\n  EMBEDDING_DIMENSIONS=${config.dimensions}: the offline embedder always produces ${offline.dimension}`,
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
