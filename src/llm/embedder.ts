/**
 * How hybrid search fuses this embedder's similarities with BM25, calibrated per embedder on the dev sets
 * (docs/retrieval-quality.md): one weight for every model is wrong by up to 0.19 Recall@10.
 */
export interface FusionProfile {
  /** Vector weight in hybrid search when the request gives no hybrid_alpha. */
  alpha: number;
  /** Where the figure comes from: the grid it was chosen on, or why it was not calibrated. */
  basis: string;
  /**
   * How a vector similarity becomes a 0–1 score before fusion. A number: standardised against the query's
   * similarity to the memories searched (`VectorPage.similarity`), z / this, clipped to 0–1. Absent: min-max over
   * the vector candidates.
   */
  standardSpan?: number;
}

/**
 * What the vectors are for: 'memory', texts about to be stored as memories' vectors (a store that serves those as
 * cached ones needs no second copy in its cache); 'query' (the default), anything else.
 */
export type EmbedPurpose = 'memory' | 'query';

/** Turns texts into vectors. Implementations return one vector per input, in input order, each `dimension` long. */
export interface Embedder {
  readonly model: string;
  readonly dimension: number;
  readonly fusion: FusionProfile;
  /**
   * Embedding a text again costs less than finding its vector in a cache (a hash of the text, a lookup, a copy):
   * the engine then calls it directly, without CachedEmbedder. Offline hashed and word-vector embedders (15-20 µs a
   * text, where the cache's lookup and bookkeeping cost ~9 µs and a tenth of an ingest's garbage collection).
   */
  readonly cheap?: boolean;
  embed(texts: string[], purpose?: EmbedPurpose): Promise<Float32Array[]>;
  /** Starts loading a model that loads lazily, without waiting; a failure surfaces on the next embed. */
  warmUp?(): void;
  /** Releases what the embedder holds (a worker thread); a later embed may start it again. */
  close?(): Promise<void>;
  /** Drops vectors this process holds for these content hashes (erasing a user). */
  forget?(hashes: string[]): void;
}
