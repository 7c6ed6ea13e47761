import type { Config } from '../config.js';
import { CachedEmbedder } from '../llm/cached-embedder.js';
import type { Embedder } from '../llm/embedder.js';
import { makeEmbedder } from '../llm/make-embedder.js';
import { openStore } from '../store/open-store.js';
import type { MemoryStore } from '../store/port.js';
import { LongTermMemory } from './long-term.js';
import { composeMemoryPrompt, type MemoryPromptResult } from './memory-prompt.js';
import { WorkingMemoryService } from './working-memory.js';

/** The part of the engine that callers act through; the HTTP auth layer substitutes a confined facade. */
export interface MemoryEngine {
  readonly config: Config;
  readonly longTerm: Pick<LongTermMemory, 'create' | 'get' | 'edit' | 'delete' | 'list' | 'search'>;
  readonly workingMemory: Pick<WorkingMemoryService, 'get' | 'find' | 'put' | 'append' | 'delete' | 'list'>;
  memoryPrompt(raw: unknown): Promise<MemoryPromptResult>;
}

/**
 * Vector weight in hybrid fusion. The offline hashed embedder mostly repeats what BM25 already sees, so it gets a
 * small say (0.2 measured best with 0.1 on the LoCoMo dev split; 0.5 loses 0.055 Recall@10); a neural model gets
 * the reference server's weight.
 */
export const OFFLINE_HYBRID_ALPHA = 0.2;
export const NEURAL_HYBRID_ALPHA = 0.7;

/** The storage-agnostic engine every transport (MCP, REST, CLI, eval adapter) calls into. */
export class Engine implements MemoryEngine {
  readonly longTerm: LongTermMemory;
  readonly workingMemory: WorkingMemoryService;

  constructor(
    readonly config: Config,
    readonly store: MemoryStore,
    readonly embedder: Embedder,
  ) {
    this.longTerm = new LongTermMemory(store, embedder, {
      maxTextBytes: config.maxTextBytes,
      recencyBoost: config.recencyBoost,
      defaultHybridAlpha: config.embedding.provider === 'offline' ? OFFLINE_HYBRID_ALPHA : NEURAL_HYBRID_ALPHA,
    });
    this.workingMemory = new WorkingMemoryService(store, { maxTextBytes: config.maxTextBytes });
  }

  memoryPrompt(raw: unknown): Promise<MemoryPromptResult> {
    return composeMemoryPrompt(raw, this);
  }

  close(): Promise<void> {
    return this.store.close();
  }
}

/** Opens the configured store and embedder; fails fast if the store was built with another embedding model. */
export async function openEngine(config: Config, opts: { skipModelCheck?: boolean } = {}): Promise<Engine> {
  const store = await openStore(config);
  try {
    const inner = await makeEmbedder(config.embedding);
    if (!opts.skipModelCheck) await store.ensureEmbeddingModel(inner.model, inner.dimension);
    return new Engine(config, store, new CachedEmbedder(inner, store));
  } catch (err) {
    await store.close();
    throw err;
  }
}
