import {
  type Config,
  ConfigError,
  OFFLINE_DEFAULT_MODEL,
  OFFLINE_EMBEDDING_MODEL,
  OFFLINE_USE_MODEL,
  OFFLINE_WORDVEC_MODEL,
} from '../config.js';
import { log } from '../util/log.js';
import { CombinedEmbedder } from './combined-embedder.js';
import type { Embedder, FusionProfile } from './embedder.js';
import { OfflineEmbedder } from './offline-embedder.js';
import { OpenAIEmbedder } from './openai-embedder.js';
import {
  SENTENCE_ENCODER_PACKAGES,
  SentenceEncoderEmbedder,
  sentenceEncoderAvailable,
} from './sentence-encoder-embedder.js';
import { WordVectorEmbedder } from './word-vector-embedder.js';
import { findVectorSource, VECTOR_PACKAGE } from './word-vectors/vector-file-cache.js';

/**
 * The default's parts weigh alike: the sentence encoder ranks paraphrases (alone 0.64 of the hard paraphrase
 * questions first), the word vectors carry dialogue (LoCoMo semantic-only Recall@10 0.48 against the encoder's
 * 0.36); together 0.71 and 0.54. Weight 0.3 for the encoder: 0.63 and lower LoCoMo (docs/retrieval-quality.md).
 */
const ENCODER_WEIGHT = 0.5;
/**
 * LoCoMo dev Recall@10 (sessions / none / shuffled) and paraphrase hard first-place, standardised vector scores,
 * on exact BM25 statistics: span 4.5, alpha 0.4 → 0.821 / 0.707 / 0.732 and 0.70; span 4 → 0.817 / 0.704 / 0.731;
 * span 5 → 0.818 / 0.700 / 0.726 (min-max scaling instead: 0.812 / 0.692 / 0.710 and 0.70). Grid in
 * docs/retrieval-quality.md.
 */
export const DEFAULT_FUSION: FusionProfile = {
  alpha: 0.4,
  standardSpan: 4.5,
  basis:
    'LoCoMo dev (three ingestion shapes) and paraphrase dev grid: alpha 0.3-0.5, span 3-5.5, keyword floor 0.5-0.8, standardised or min-max',
};

function missing(config: Config['embedding'], packages: string, fallback: string): void {
  const message = `needs the npm package${packages.includes(' ') ? 's' : ''} ${packages} (npm install ${packages})`;
  if (config.explicit) {
    throw new ConfigError(
      `Invalid configuration:\n  EMBEDDING_MODEL=${config.model}: ${message}, or set EMBEDDING_MODEL=${OFFLINE_EMBEDDING_MODEL}`,
    );
  }
  log.warn(`the default embedder ${config.model} ${message}: using ${fallback} instead`);
}

function offlineEmbedder(config: Config['embedding']): Embedder {
  if (config.model === OFFLINE_EMBEDDING_MODEL) return new OfflineEmbedder();
  if (config.model === OFFLINE_USE_MODEL) {
    if (sentenceEncoderAvailable()) return new SentenceEncoderEmbedder();
    missing(config, SENTENCE_ENCODER_PACKAGES.join(' '), OFFLINE_EMBEDDING_MODEL);
    return new OfflineEmbedder();
  }
  const source = findVectorSource();
  if (!source) {
    missing(config, VECTOR_PACKAGE, OFFLINE_EMBEDDING_MODEL);
    return new OfflineEmbedder();
  }
  const words = new WordVectorEmbedder(source, config.vectorsDir);
  if (config.model === OFFLINE_WORDVEC_MODEL) return words;
  if (!sentenceEncoderAvailable()) {
    missing(config, SENTENCE_ENCODER_PACKAGES.join(' '), OFFLINE_WORDVEC_MODEL);
    return words;
  }
  return new CombinedEmbedder(
    OFFLINE_DEFAULT_MODEL,
    [
      { embedder: new SentenceEncoderEmbedder(), weight: ENCODER_WEIGHT },
      { embedder: words, weight: 1 - ENCODER_WEIGHT },
    ],
    DEFAULT_FUSION,
  );
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
