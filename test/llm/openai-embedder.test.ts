import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { MemoryError } from '../../src/errors.js';
import { makeEmbedder } from '../../src/llm/make-embedder.js';
import { OfflineEmbedder } from '../../src/llm/offline-embedder.js';
import { NEURAL_FUSION, OpenAIEmbedder } from '../../src/llm/openai-embedder.js';

const API_KEY = 'sk-test-SECRET-0123456789';

interface Seen {
  body: { model: string; input: string[]; encoding_format?: string; dimensions?: number };
  authorization: string | undefined;
}
type Reply = (req: Seen, res: ServerResponse) => void;

/** A vector that encodes where its text came from, so tests can check ordering. */
const vectorFor = (text: string, dim: number) => Array.from({ length: dim }, (_, i) => (i === 0 ? text.length : i));

/** Speaks the OpenAI embeddings wire format; returns data in reverse order so callers must sort by index. */
const ok =
  (dim = 4): Reply =>
  (req, res) => {
    const data = req.body.input.map((text, index) => ({ object: 'embedding', index, embedding: vectorFor(text, dim) }));
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(
      JSON.stringify({
        object: 'list',
        data: data.reverse(),
        model: req.body.model,
        usage: { prompt_tokens: 1, total_tokens: 1 },
      }),
    );
  };

const fail =
  (status: number, message: string): Reply =>
  (_req, res) => {
    // retry-after-ms keeps the SDK's backoff short in tests.
    res.writeHead(status, { 'content-type': 'application/json', 'retry-after-ms': '1' });
    res.end(JSON.stringify({ error: { message, type: 'server_error', code: null } }));
  };

let server: Server;
let baseUrl: string;
let seen: Seen[] = [];
let replies: Reply[] = [];

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      if (req.method !== 'POST' || req.url !== '/v1/embeddings') {
        res.writeHead(404).end();
        return;
      }
      const s: Seen = { body: JSON.parse(raw), authorization: req.headers.authorization };
      seen.push(s);
      const reply = replies.length > 1 ? replies.shift()! : replies[0]!;
      reply(s, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  seen = [];
  replies = [ok()];
});

const embedder = (opts: Partial<ConstructorParameters<typeof OpenAIEmbedder>[0]> = {}) =>
  new OpenAIEmbedder({ model: 'test-embed', apiKey: API_KEY, baseUrl, ...opts });

describe('OpenAIEmbedder', () => {
  it('batches 256 inputs per request and restores input order', async () => {
    const texts = Array.from({ length: 300 }, (_, i) => 'x'.repeat(i + 1));
    const e = embedder({ dimensions: 4 });
    const vectors = await e.embed(texts);
    expect(seen.map((s) => s.body.input.length)).toEqual([256, 44]);
    expect(vectors.map((v) => v[0])).toEqual(texts.map((t) => t.length));
    expect(vectors[0]).toBeInstanceOf(Float32Array);
    expect(seen[0]!.body.encoding_format).toBe('float');
    expect(seen[0]!.body.dimensions).toBe(4);
    expect(seen[0]!.authorization).toBe(`Bearer ${API_KEY}`);
  });

  it('discovers the dimension of an unknown model with one probe', async () => {
    replies = [ok(7)];
    const e = embedder();
    expect(() => e.dimension).toThrow(/init/);
    await e.init();
    expect(e.dimension).toBe(7);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.body.dimensions).toBeUndefined();
    await e.init();
    expect(seen).toHaveLength(1);
  });

  it('knows the dimension of OpenAI models without a request', async () => {
    const e = embedder({ model: 'text-embedding-3-large' });
    await e.init();
    expect(e.dimension).toBe(3072);
    expect(embedder({ model: 'text-embedding-3-small' }).dimension).toBe(1536);
    expect(seen).toHaveLength(0);
  });

  it('retries a 429 and succeeds', async () => {
    replies = [fail(429, 'Rate limit reached'), ok()];
    const vectors = await embedder({ dimensions: 4 }).embed(['hello']);
    expect(vectors).toHaveLength(1);
    expect(seen).toHaveLength(2);
  });

  it('turns a persistent 500 into MemoryError unavailable without the key', async () => {
    replies = [fail(500, `upstream exploded for key ${API_KEY}`)];
    const err = await embedder({ dimensions: 4 })
      .embed(['hello'])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(MemoryError);
    expect((err as MemoryError).kind).toBe('unavailable');
    expect((err as MemoryError).message).toContain(`Embedding request to ${baseUrl} failed:`);
    expect((err as MemoryError).message).toContain('500');
    expect((err as MemoryError).message).not.toContain('SECRET');
    expect(seen).toHaveLength(4); // first try + maxRetries 3
  });

  it('does not retry a 401 and hides the echoed key', async () => {
    replies = [fail(401, `Incorrect API key provided: ${API_KEY.slice(0, 8)}****6789`)];
    const err = (await embedder({ dimensions: 4 })
      .embed(['hello'])
      .catch((e: unknown) => e)) as MemoryError;
    expect(err.kind).toBe('unavailable');
    expect(err.message).toContain('401');
    expect(err.message).not.toContain(API_KEY.slice(0, 8));
    expect(seen).toHaveLength(1);
  });

  it('reports an unreachable server', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const url = `http://127.0.0.1:${(closed.address() as AddressInfo).port}/v1`;
    await new Promise((resolve) => closed.close(resolve));
    const e = new OpenAIEmbedder({ model: 'm', dimensions: 4, baseUrl: url, maxRetries: 0 });
    await expect(e.embed(['hello'])).rejects.toThrow(`Embedding request to ${url} failed: Connection error.`);
    await expect(e.embed(['hello'])).rejects.toThrow(/ECONNREFUSED/);
  });

  it('rejects vectors of the wrong length', async () => {
    replies = [ok(7)];
    await expect(embedder({ dimensions: 8 }).embed(['hello'])).rejects.toThrow(/returned 7 dimensions, expected 8/);
  });

  it('sends nothing for an empty list', async () => {
    expect(await embedder({ dimensions: 4 }).embed([])).toEqual([]);
    expect(seen).toHaveLength(0);
  });
});

describe('makeEmbedder', () => {
  it('builds the offline embedder', async () => {
    const e = await makeEmbedder({ provider: 'offline', model: 'offline-hash-v1', explicit: true, vectorsDir: '' });
    expect(e).toBeInstanceOf(OfflineEmbedder);
  });

  it('reads an Ollama or vLLM setup from the environment and gives it the neural fusion weight', async () => {
    replies = [ok(5)];
    const config = loadConfig({ OPENAI_API_BASE: baseUrl, EMBEDDING_MODEL: 'nomic-embed-text', LOG_LEVEL: 'silent' });
    expect(config.embedding).toMatchObject({ provider: 'openai', model: 'nomic-embed-text', baseUrl });
    const e = await makeEmbedder(config.embedding);
    expect(e.fusion).toBe(NEURAL_FUSION);
    expect(e.fusion.alpha).toBe(0.7);
    expect(seen[0]!.body).toMatchObject({ model: 'nomic-embed-text' });
  });

  it('builds an OpenAI-compatible embedder with a known dimension', async () => {
    replies = [ok(5)];
    const e = await makeEmbedder({
      provider: 'openai',
      model: 'nomic-embed-text',
      baseUrl,
      explicit: true,
      vectorsDir: '',
    });
    expect(e).toBeInstanceOf(OpenAIEmbedder);
    expect(e.dimension).toBe(5);
    expect(seen[0]!.authorization).toBe('Bearer no-key');
  });
});
