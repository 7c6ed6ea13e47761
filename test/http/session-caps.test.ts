/**
 * Session caps over real HTTP: `max_messages` on a write (and WORKING_MEMORY_MAX_MESSAGES as the default) keeps the
 * newest N messages, folding older ones into the summary with an LLM (the local fake OpenAI server) or trimming them
 * without one, and saying so; WORKING_MEMORY_CONTEXT_WINDOW bounds what a read returns. SQLite file and Redis.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeLlm, startFakeLlm } from '../helpers/fake-llm.js';
import { freshPrefix, harness, noRedis } from '../store/redis-helpers.js';
import { content, summarizerResponder } from '../summarization/fake-summarizer.js';
import { call, startServer, type TestServer } from './helpers.js';

const turns = (from: number, to: number) =>
  Array.from({ length: to - from + 1 }, (_, i) => ({
    id: `t${from + i}`,
    role: (from + i) % 2 ? 'user' : 'assistant',
    content: content(from + i),
  }));
const ids = (body: { messages: { id: string }[] }) => body.messages.map((m) => m.id);

const redisEnv = () => ({
  MEMORY_BACKEND: 'redis',
  REDIS_URL: harness!.url,
  REDIS_KEY_PREFIX: freshPrefix(),
  REDIS_REQUIRE_SEARCH: 'false',
  LONG_TERM_MEMORY: 'false',
});

function capBehaviour(env: () => Record<string, string>) {
  let server: TestServer;
  let defaults: TestServer;
  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'disabled', ...env() });
    defaults = await startServer({
      AUTH_MODE: 'disabled',
      WORKING_MEMORY_MAX_MESSAGES: '5',
      WORKING_MEMORY_CONTEXT_WINDOW: '2',
      ...env(),
    });
  });
  afterAll(async () => {
    await server?.stop();
    await defaults?.stop();
  });

  it('max_messages on PUT and append keeps the newest N; without an LLM the rest is trimmed, and said so', async () => {
    const put = await call(server.url, 'PUT', '/v1/working-memory/cap-a?max_messages=4', {
      body: { messages: turns(1, 6) },
    });
    expect(put.status).toBe(200);
    expect(ids(put.body)).toEqual(['t3', 't4', 't5', 't6']);
    expect(put.body.total_messages).toBe(4);
    expect(put.body.summarization).toMatchObject({ status: 'unavailable', trimmed_messages: 2 });
    expect(put.body.summarization.reason).toMatch(/no LLM/);

    const appended = await call(server.url, 'POST', '/v1/working-memory/cap-a/messages?max_messages=3', {
      body: { messages: turns(7, 7) },
    });
    expect(ids(appended.body)).toEqual(['t5', 't6', 't7']);
    expect(appended.body.summarization).toMatchObject({ trimmed_messages: 2 });
    // Under the cap: nothing to report.
    const under = await call(server.url, 'POST', '/v1/working-memory/cap-a/messages?max_messages=10', {
      body: { messages: turns(8, 8) },
    });
    expect(under.body.summarization).toBeUndefined();
    expect(under.body.total_messages).toBe(4);
  });

  it('the default cap applies to writes that give none; the default window bounds reads', async () => {
    await call(defaults.url, 'PUT', '/v1/working-memory/cap-b', { body: { messages: turns(1, 4) } });
    const appended = await call(defaults.url, 'POST', '/v1/working-memory/cap-b/messages', {
      body: { messages: turns(5, 7) },
    });
    expect(appended.body.total_messages).toBe(5);
    expect(appended.body.summarization).toMatchObject({ trimmed_messages: 2 });
    const read = await call(defaults.url, 'GET', '/v1/working-memory/cap-b');
    expect(ids(read.body)).toEqual(['t6', 't7']);
    expect(read.body.total_messages).toBe(5);
    const more = await call(defaults.url, 'GET', '/v1/working-memory/cap-b?recent_messages_limit=4');
    expect(ids(more.body)).toEqual(['t4', 't5', 't6', 't7']);
  });

  it('a read naming a window returns the newest messages that fit it, at least one, and stores them all', async () => {
    // About 100 tokens each: two fit in 250, three do not.
    const long = (i: number) => ({ id: `w${i}`, role: 'user', content: `${'apple '.repeat(99)}${i}` });
    await call(server.url, 'PUT', '/v1/working-memory/cap-w', { body: { messages: [1, 2, 3, 4].map(long) } });
    const fit = await call(server.url, 'GET', '/v1/working-memory/cap-w?context_window_max=250');
    expect(ids(fit.body)).toEqual(['w3', 'w4']);
    expect(fit.body.total_messages).toBe(4);
    expect(fit.body.tokens).toBeLessThanOrEqual(250);
    const tiny = await call(server.url, 'GET', '/v1/working-memory/cap-w?context_window_max=10');
    expect(ids(tiny.body)).toEqual(['w4']);
    const big = await call(server.url, 'GET', '/v1/working-memory/cap-w?model_name=gpt-4o-mini');
    expect(ids(big.body)).toEqual(['w1', 'w2', 'w3', 'w4']);
    expect((await call(server.url, 'GET', '/v1/working-memory/cap-w')).body.messages).toHaveLength(4);
  });

  it('refuses a max_messages that is not a positive whole number', async () => {
    for (const bad of ['0', '-1', 'two', '1.5']) {
      const r = await call(server.url, 'PUT', `/v1/working-memory/cap-c?max_messages=${bad}`, {
        body: { messages: turns(1, 2) },
      });
      expect(r.status, bad).toBe(422);
      expect(r.body.detail).toMatch(/max_messages/);
    }
    expect((await call(server.url, 'GET', '/v1/working-memory/cap-c')).status).toBe(404);
  });
}

describe('session caps (sqlite file)', () => capBehaviour(() => ({})));
describe.skipIf(noRedis !== null)(`session caps (redis)${noRedis ? `: skipped, ${noRedis}` : ''}`, () =>
  capBehaviour(redisEnv),
);

describe('session caps with an LLM, and with summarization off', () => {
  let llm: FakeLlm;
  let server: TestServer;
  let off: TestServer;
  beforeAll(async () => {
    llm = await startFakeLlm();
    llm.responder = summarizerResponder;
    server = await startServer(
      { AUTH_MODE: 'disabled', OPENAI_API_BASE: llm.openaiUrl, GENERATION_MODEL: 'local-model' },
      { autoStartWorker: false },
    );
    off = await startServer({ AUTH_MODE: 'disabled', ENABLE_WORKING_MEMORY_SUMMARIZATION: 'false' });
  });
  afterAll(async () => {
    await server?.stop();
    await off?.stop();
    await llm?.close();
  });

  it('folds the messages beyond the cap into the running summary', async () => {
    const r = await call(server.url, 'PUT', '/v1/working-memory/cap-llm?max_messages=3', {
      body: { messages: turns(1, 8) },
    });
    expect(r.status).toBe(200);
    expect(r.body.summarization).toEqual({ status: 'summarized', summarized_messages: 5 });
    expect(r.body.context).toBe('Covered: m1-m5');
    expect(ids(r.body)).toEqual(['t6', 't7', 't8']);
  });

  it('still keeps the cap with summarization off, by trimming', async () => {
    const r = await call(off.url, 'PUT', '/v1/working-memory/cap-off?max_messages=2', {
      body: { messages: turns(1, 5) },
    });
    expect(ids(r.body)).toEqual(['t4', 't5']);
    expect(r.body.summarization).toMatchObject({ status: 'disabled', trimmed_messages: 3 });
    expect(r.body.summarization.reason).toMatch(/max_messages \(2\)/);
  });
});
