import type OpenAI from 'openai';
import { MemoryError } from '../errors.js';
import type { Embedder, FusionProfile } from './embedder.js';
import { describeError, redact, withoutCredentials } from './redact.js';
import { loadOpenAI } from './sdk-loader.js';

const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
const KNOWN_DIMENSIONS: Record<string, number> = {
  'text-embedding-3-small': 1536,
  'text-embedding-3-large': 3072,
  'text-embedding-ada-002': 1536,
};
/**
 * Neural sentence embedders (OpenAI's, or nomic-embed-text, mxbai-embed-large, bge-m3 and all-minilm served by
 * Ollama or vLLM) rank paraphrases well on their own, so they take the reference server's weight. Not measured
 * here: no such model is reachable from this project's machines (docs/retrieval-quality.md says how to).
 */
export const NEURAL_FUSION: FusionProfile = { alpha: 0.7, basis: 'reference server default; not calibrated here' };
const MAX_INPUTS_PER_REQUEST = 256;
// OpenAI rejects requests over 300k tokens in total. UTF-8 bytes bound the token count of byte-level BPE
// tokenizers from above, so budgeting bytes can never overshoot and needs no tokenizer.
const MAX_BYTES_PER_REQUEST = 250_000;
const PROBE_TEXT = 'dimension probe';

export interface OpenAIEmbedderOptions {
  model: string;
  apiKey?: string;
  /** OpenAI-compatible endpoint such as http://localhost:11434/v1 (Ollama); defaults to OpenAI. */
  baseUrl?: string;
  /** Sent as `dimensions` only when set (models that support shortening, e.g. text-embedding-3-*). */
  dimensions?: number;
  timeoutMs?: number;
  maxRetries?: number;
}

/** Embeddings from OpenAI or any server speaking its wire format (Ollama, vLLM, LiteLLM...). */
export class OpenAIEmbedder implements Embedder {
  readonly model: string;
  readonly fusion = NEURAL_FUSION;
  private readonly client: Promise<OpenAI>;
  private readonly endpoint: string;
  private readonly apiKey: string | undefined;
  private readonly requestedDimensions: number | undefined;
  private knownDimension: number | undefined;

  constructor(opts: OpenAIEmbedderOptions) {
    this.model = opts.model;
    this.apiKey = opts.apiKey;
    this.requestedDimensions = opts.dimensions;
    this.knownDimension = opts.dimensions ?? KNOWN_DIMENSIONS[opts.model];
    const baseURL = (opts.baseUrl ?? DEFAULT_BASE_URL).replace(/\/+$/, '');
    this.endpoint = withoutCredentials(baseURL);
    this.client = loadOpenAI().then(
      (sdk) =>
        new sdk.default({
          // Local servers need no key, but the SDK refuses to start without one (or falls back to the environment).
          apiKey: opts.apiKey ?? 'no-key',
          baseURL,
          timeout: opts.timeoutMs ?? 30_000,
          maxRetries: opts.maxRetries ?? 3,
        }),
    );
    this.client.catch(() => {});
  }

  /** Known from the configuration or model name, else from the first response: call `init()` before reading. */
  get dimension(): number {
    if (this.knownDimension === undefined) {
      throw new Error(`The dimension of embedding model ${this.model} is not known yet: call init() first`);
    }
    return this.knownDimension;
  }

  /** Discovers the dimension of an unknown model with one probe request; a no-op otherwise. */
  async init(): Promise<void> {
    if (this.knownDimension === undefined) await this.embed([PROBE_TEXT]);
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const out: Float32Array[] = [];
    // Sequential on purpose: parallel batches would only trip the provider's rate limit sooner.
    for (const batch of batches(texts)) out.push(...(await this.request(batch)));
    return out;
  }

  private async request(input: string[]): Promise<Float32Array[]> {
    let response: OpenAI.Embeddings.CreateEmbeddingResponse;
    try {
      response = await (await this.client).embeddings.create({
        model: this.model,
        input,
        encoding_format: 'float',
        ...(this.requestedDimensions === undefined ? {} : { dimensions: this.requestedDimensions }),
      });
    } catch (err) {
      throw this.failure(describeError(err));
    }
    const data = Array.isArray(response?.data) ? response.data : [];
    if (data.length !== input.length) {
      throw this.failure(`expected ${input.length} embeddings, got ${data.length}`);
    }
    const ordered: Float32Array[] = new Array(input.length);
    data.forEach((item, position) => {
      const index = typeof item.index === 'number' ? item.index : position;
      if (!Array.isArray(item.embedding) || index < 0 || index >= input.length || ordered[index]) {
        throw this.failure('the response is not a list of float embeddings with distinct indexes');
      }
      ordered[index] = this.checkDimension(Float32Array.from(item.embedding));
    });
    return ordered;
  }

  private checkDimension(vector: Float32Array): Float32Array {
    if (vector.length === 0) throw this.failure('the server returned an empty embedding');
    if (this.knownDimension === undefined) this.knownDimension = vector.length;
    if (vector.length !== this.knownDimension) {
      const hint =
        this.requestedDimensions === undefined ? '' : ' (EMBEDDING_DIMENSIONS is set; the server may ignore it)';
      throw this.failure(
        `model ${this.model} returned ${vector.length} dimensions, expected ${this.knownDimension}${hint}`,
      );
    }
    return vector;
  }

  private failure(reason: string): MemoryError {
    return new MemoryError(
      'unavailable',
      `Embedding request to ${this.endpoint} failed: ${redact(reason, this.apiKey)}`,
    );
  }
}

function* batches(texts: string[]): Generator<string[]> {
  let batch: string[] = [];
  let bytes = 0;
  for (const text of texts) {
    const size = Buffer.byteLength(text);
    if (batch.length > 0 && (batch.length === MAX_INPUTS_PER_REQUEST || bytes + size > MAX_BYTES_PER_REQUEST)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(text);
    bytes += size;
  }
  if (batch.length > 0) yield batch;
}
