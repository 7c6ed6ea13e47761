/**
 * The LLM-feature routes with a model: the server talks to the local fake OpenAI-compatible server
 * (test/helpers/fake-llm.ts) through the real `openai` SDK, for chat and embeddings. Covers optimize_query on search
 * and memory prompt (a rewrite, a failing model, a model that never answers), compaction that merges
 * near-duplicates, and the LLM usage counters on /metrics.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { setLogLevel } from '../../src/util/log.js';
import { type ChatCall, type FakeLlm, hashVector, startFakeLlm } from '../helpers/fake-llm.js';
import { call, memory, startServer, type TestServer } from './helpers.js';

const REWRITE = 'You rewrite a search query';
const MERGE = 'merge them into one';

let llm: FakeLlm;
let server: TestServer;
let url: string;

/** The fake model: rewrites name the cello, merges say "same", anything else gets empty labels. */
function responder(c: ChatCall): string {
  if (c.system.includes(REWRITE)) return JSON.stringify({ query: 'cello Sundays' });
  if (c.system.includes(MERGE)) {
    return JSON.stringify({ same: true, text: 'Alice drinks green tea every morning', topics: ['tea'], entities: [] });
  }
  return JSON.stringify({ topics: [], entities: [] });
}

/** Texts about tea embed to the same direction (near-duplicates); the rest to the fake's hash vectors. */
const embed = (text: string) => (/\btea\b/i.test(text) ? [1, 0, 0, 0, 0, 0, 0, 0.01] : hashVector(text));

beforeAll(async () => {
  setLogLevel('error'); // the failures below are on purpose
  llm = await startFakeLlm();
  llm.embed = embed;
  llm.responder = responder;
  server = await startServer(
    {
      OPENAI_API_BASE: llm.openaiUrl,
      GENERATION_MODEL: 'gen-model',
      FAST_MODEL: 'fast-model',
      EMBEDDING_PROVIDER: 'openai',
      EMBEDDING_MODEL: 'fake-embedding',
      LLM_MAX_RETRIES: '0',
      LLM_TIMEOUT_MS: '5000',
      // optimize_query waits half of this (1 s) for the rewrite.
      HTTP_REQUEST_TIMEOUT_MS: '2000',
    },
    // Background tasks (enrichment, dedup of new memories) would call the model too; only the calls under test run.
    { autoStartWorker: false },
  );
  url = server.url;
  const seeded = await call(url, 'POST', '/v1/long-term-memory', {
    body: {
      deduplicate: false,
      memories: [
        memory('o-cello', 'Bob plays the cello on Sundays', { namespace: 'opt' }),
        memory('o-paint', 'Carol paints landscapes', { namespace: 'opt' }),
        memory('m-1', 'Alice drinks green tea in the morning', { namespace: 'merge' }),
        memory('m-2', 'Every morning Alice has a cup of green tea', { namespace: 'merge' }),
        memory('m-3', 'Bob collects stamps', { namespace: 'merge' }),
      ],
    },
  });
  expect(seeded.status).toBe(200);
});
afterAll(async () => {
  await server?.stop();
  await llm?.close();
});
beforeEach(() => {
  llm.calls.length = 0;
  llm.script.length = 0;
});

const searchIds = async (query: string, text: string) => {
  const res = await call(url, 'POST', `/v1/long-term-memory/search${query}`, {
    body: { text, search_mode: 'keyword', namespace: { eq: 'opt' } },
  });
  expect(res.status).toBe(200);
  return res.body.memories.map((m: { id: string }) => m.id);
};

/** One sample of the metrics exposition, 0 when absent. */
async function metric(name: string, labels: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const line = text.split('\n').find((l) => l.startsWith(`${name}{${labels}} `));
  return line ? Number(line.split(' ').at(-1)) : 0;
}
const FAST = 'provider="openai",model="fast-model"';

describe('optimize_query with an LLM', () => {
  it('rewrites the search text with the fast model before searching', async () => {
    expect(await searchIds('', 'qqq zzz')).toEqual([]);
    expect(llm.calls).toHaveLength(0);
    expect(await searchIds('?optimize_query=true', 'qqq zzz')).toEqual(['o-cello']);
    const rewrites = llm.callsWith(REWRITE);
    expect(rewrites).toHaveLength(1);
    expect(rewrites[0]!.model).toBe('fast-model');
    expect(rewrites[0]!.user).toContain('qqq zzz');
    // optimize_query=false and an empty text (a filter-only listing) do not call the model.
    expect(await searchIds('?optimize_query=false', 'qqq zzz')).toEqual([]);
    expect((await searchIds('?optimize_query=true', '')).sort()).toEqual(['o-cello', 'o-paint']);
    expect(llm.calls).toHaveLength(1);
  });

  it('rewrites the long-term search of a memory prompt but keeps the query as asked', async () => {
    const res = await call(url, 'POST', '/v1/memory/prompt?optimize_query=true', {
      body: { query: 'qqq zzz', long_term_search: { search_mode: 'keyword', namespace: { eq: 'opt' } } },
    });
    expect(res.status).toBe(200);
    expect(res.body.long_term_memories.map((m: { id: string }) => m.id)).toEqual(['o-cello']);
    expect(res.body.messages.at(-1)).toEqual({ role: 'user', content: { type: 'text', text: 'qqq zzz' } });
    expect(llm.callsWith(REWRITE)[0]!.user).toContain('qqq zzz');

    // An explicit long_term_search.text is what gets rewritten.
    await call(url, 'POST', '/v1/memory/prompt?optimize_query=true', {
      body: { query: 'qqq zzz', long_term_search: { text: 'yyy www', search_mode: 'keyword' } },
    });
    expect(llm.callsWith(REWRITE)[1]!.user).toContain('yyy www');

    const plain = await call(url, 'POST', '/v1/memory/prompt', {
      body: { query: 'qqq zzz', long_term_search: { search_mode: 'keyword', namespace: { eq: 'opt' } } },
    });
    expect(plain.body.long_term_memories).toBeNull();
    expect(llm.callsWith(REWRITE)).toHaveLength(2);
  });

  it('searches with the original text when the model fails', async () => {
    const errorsBefore = await metric('agent_memory_llm_errors_total', FAST);
    for (const reply of [{ status: 500 }, { status: 401, message: 'bad key' }, 'not json at all']) {
      llm.script.push(reply);
      // A malformed reply is answered once with what was wrong: script the second bad reply too.
      if (typeof reply === 'string') llm.script.push(reply);
      expect(await searchIds('?optimize_query=true', 'qqq zzz')).toEqual([]);
    }
    expect(await searchIds('?optimize_query=true', 'qqq zzz')).toEqual(['o-cello']);
    expect(await metric('agent_memory_llm_errors_total', FAST)).toBe(errorsBefore + 2);
    expect(await metric('agent_memory_llm_malformed_replies_total', FAST)).toBeGreaterThanOrEqual(1);
  });

  it('does not wait for a model that never answers past half the request timeout', async () => {
    llm.script.push({ hang: true });
    const started = Date.now();
    expect(await searchIds('?optimize_query=true', 'qqq zzz')).toEqual([]);
    const took = Date.now() - started;
    // The rewrite was given its budget (1 s), and the answer came before the request timeout (2 s, a 503).
    expect(took).toBeGreaterThanOrEqual(900);
  });
});

describe('POST /v1/long-term-memory/compact with an LLM', () => {
  it('merges near-duplicates within the namespace and reports semantic: done', async () => {
    const res = await call(url, 'POST', '/v1/long-term-memory/compact?namespace=merge');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok, 2 memories remaining after compaction',
      scanned: 3,
      duplicates_removed: 0,
      merged_groups: 1,
      merged_memories_removed: 1,
      semantic: 'done',
    });
    expect(llm.callsWith(MERGE)).toHaveLength(1);
    expect(llm.callsWith(MERGE)[0]!.model).toBe('gen-model');
    const list = await call(url, 'GET', '/v1/long-term-memory?namespace=merge');
    const texts = list.body.memories.map((m: { text: string }) => m.text).sort();
    expect(texts).toEqual(['Alice drinks green tea every morning', 'Bob collects stamps']);
    // The other namespace was not looked at.
    expect((await call(url, 'GET', '/v1/long-term-memory?namespace=opt')).body.total).toBe(2);
  });
});

describe('/metrics with an LLM', () => {
  it('counts requests and tokens per provider and model after an LLM call', async () => {
    const before = {
      requests: await metric('agent_memory_llm_requests_total', FAST),
      prompt: await metric('agent_memory_llm_prompt_tokens_total', FAST),
      completion: await metric('agent_memory_llm_completion_tokens_total', FAST),
    };
    await searchIds('?optimize_query=true', 'qqq zzz');
    const call0 = llm.callsWith(REWRITE)[0]!;
    expect(call0).toBeDefined();
    expect(await metric('agent_memory_llm_requests_total', FAST)).toBe(before.requests + 1);
    expect(await metric('agent_memory_llm_prompt_tokens_total', FAST)).toBeGreaterThan(before.prompt);
    expect(await metric('agent_memory_llm_completion_tokens_total', FAST)).toBeGreaterThan(before.completion);

    const text = await (await fetch(`${url}/metrics`)).text();
    expect(text).toMatch(/^# TYPE agent_memory_llm_requests_total counter$/m);
    expect(text).toMatch(/^# TYPE agent_memory_llm_prompt_tokens_total counter$/m);
    expect(text).toMatch(/^agent_memory_llm_requests_total\{provider="openai",model="gen-model"\} 1$/m);
    expect(text).toMatch(/^agent_memory_llm_available 1$/m);
    // Every family is announced once, with its samples after it.
    const types = text.split('\n').filter((l) => l.startsWith('# TYPE '));
    expect(new Set(types).size).toBe(types.length);
  });
});
