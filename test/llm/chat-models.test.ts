import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { loadConfig } from '../../src/config.js';
import { MemoryError } from '../../src/errors.js';
import { AnthropicChat } from '../../src/llm/chat-anthropic.js';
import { OpenAIChat } from '../../src/llm/chat-openai.js';
import { completeJson, parseJsonObject } from '../../src/llm/json-reply.js';
import { makeChatModels } from '../../src/llm/make-chat.js';
import { ResilientChat, Semaphore } from '../../src/llm/resilient-chat.js';
import { llmUsage, resetLlmUsage } from '../../src/llm/usage.js';
import { type FakeLlm, startFakeLlm } from '../helpers/fake-llm.js';

const KEY = 'sk-test-SECRET-abcdef0123456789';
let llm: FakeLlm;

beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(() => llm.close());
beforeEach(() => {
  llm.reset();
  resetLlmUsage();
});

const openai = (opts: { timeoutMs?: number; maxRetries?: number; limit?: number } = {}) =>
  new ResilientChat(
    new OpenAIChat({ model: 'gpt-test', apiKey: KEY, baseUrl: llm.openaiUrl, timeoutMs: opts.timeoutMs ?? 5000 }),
    {
      maxRetries: opts.maxRetries ?? 3,
      limiter: new Semaphore(opts.limit ?? 4),
      baseDelayMs: 5,
    },
  );
const anthropic = (opts: { maxRetries?: number } = {}) =>
  new ResilientChat(
    new AnthropicChat({ model: 'claude-test', apiKey: KEY, baseUrl: llm.anthropicUrl, timeoutMs: 5000 }),
    { maxRetries: opts.maxRetries ?? 3, limiter: new Semaphore(4), baseDelayMs: 5 },
  );
const ask = {
  system: 'be brief',
  messages: [{ role: 'user' as const, content: 'hello' }],
  maxTokens: 50,
  purpose: 'test',
};

async function rejection(p: Promise<unknown>): Promise<MemoryError> {
  try {
    await p;
  } catch (err) {
    if (err instanceof MemoryError) return err;
    throw err;
  }
  throw new Error('expected a rejection');
}

describe('OpenAI chat through the real SDK', () => {
  it('sends the system prompt, messages and JSON mode; returns text and usage', async () => {
    llm.script.push('{"a": 1}');
    const r = await openai().complete({ ...ask, json: true });
    expect(r.text).toBe('{"a": 1}');
    expect(r.usage.inputTokens).toBeGreaterThan(0);
    const call = llm.calls[0]!;
    expect(call.system).toBe('be brief');
    expect(call.messages).toEqual([{ role: 'user', content: 'hello' }]);
    expect(call.json).toBe(true);
    // An OpenAI-compatible server gets max_tokens, which Ollama, vLLM and LM Studio understand.
    expect(call.body.max_tokens).toBe(50);
    expect(call.headers.authorization).toBe(`Bearer ${KEY}`);
    expect(llmUsage()).toEqual([
      expect.objectContaining({ provider: 'openai', model: 'gpt-test', requests: 1, retries: 0, failures: 0 }),
    ]);
  });

  it('retries 429 and 5xx with backoff, then succeeds', async () => {
    llm.script.push({ status: 429 }, { status: 503 }, 'fine');
    expect((await openai().complete(ask)).text).toBe('fine');
    expect(llm.calls).toHaveLength(3);
    expect(llmUsage()[0]).toMatchObject({ requests: 1, retries: 2 });
  });

  it('retries a request that times out', async () => {
    llm.script.push({ hang: true }, 'after the timeout');
    const started = Date.now();
    expect((await openai({ timeoutMs: 300 }).complete(ask)).text).toBe('after the timeout');
    expect(Date.now() - started).toBeGreaterThanOrEqual(300);
    expect(llm.calls).toHaveLength(2);
  });

  it('gives up after the retries with a clear, redacted error', async () => {
    llm.responder = () => ({ status: 500, message: `internal error for key ${KEY}` });
    const err = await rejection(openai({ maxRetries: 2 }).complete(ask));
    expect(err.kind).toBe('unavailable');
    expect(err.message).toMatch(/gpt-test.*after 3 attempts/);
    expect(err.message).not.toContain(KEY);
    expect(err.message).not.toContain('SECRET');
    expect(llm.calls).toHaveLength(3);
    expect(llmUsage()[0]).toMatchObject({ failures: 1, retries: 2 });
  });

  it('does not retry a 400 or 401', async () => {
    llm.script.push({ status: 401, message: `Incorrect API key provided: ${KEY.slice(0, 12)}************` });
    const err = await rejection(openai().complete(ask));
    expect(err.message).toMatch(/401/);
    expect(err.message).not.toContain(KEY.slice(0, 12));
    expect(llm.calls).toHaveLength(1);
  });

  it('keeps at most LLM_CONCURRENCY requests in flight', async () => {
    llm.responder = () => ({ delayMs: 50, text: 'x' });
    const model = openai({ limit: 2 });
    await Promise.all(Array.from({ length: 6 }, () => model.complete(ask)));
    expect(llm.calls).toHaveLength(6);
    expect(llm.maxInFlight).toBe(2);
  });

  it('says which server failed when nothing listens', async () => {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
    const port = (probe.address() as AddressInfo).port;
    await new Promise((resolve) => probe.close(resolve));
    const dead = new ResilientChat(
      new OpenAIChat({ model: 'm', baseUrl: `http://127.0.0.1:${port}/v1`, timeoutMs: 1000 }),
      { maxRetries: 1, limiter: new Semaphore(1), baseDelayMs: 1 },
    );
    const err = await rejection(dead.complete(ask));
    expect(err.message).toContain(`127.0.0.1:${port}`);
    expect(err.message).toMatch(/ECONNREFUSED/);
  });
});

describe('Anthropic chat through the real SDK', () => {
  it('sends system separately, asks for JSON in words, joins consecutive turns', async () => {
    llm.script.push('{"ok": true}');
    const r = await anthropic().complete({
      system: 'sys',
      messages: [
        { role: 'user', content: 'one' },
        { role: 'user', content: 'two' },
      ],
      json: true,
      maxTokens: 77,
    });
    expect(r.text).toBe('{"ok": true}');
    expect(r.usage.outputTokens).toBeGreaterThan(0);
    const call = llm.calls[0]!;
    expect(call.api).toBe('anthropic');
    expect(call.system).toMatch(/^sys\n\nReply with a single JSON object/);
    expect(call.messages).toEqual([{ role: 'user', content: 'one\n\ntwo' }]);
    expect(call.body.max_tokens).toBe(77);
    // SDK versions differ in where the key goes; it must be sent once, as given.
    expect([call.headers['x-api-key'], call.headers.authorization]).toContainEqual(expect.stringContaining(KEY));
  });

  it('retries 429 and 529 (overloaded), not 401; redacts the key', async () => {
    llm.script.push({ status: 429 }, { status: 529 }, 'done');
    expect((await anthropic().complete(ask)).text).toBe('done');
    expect(llm.calls).toHaveLength(3);
    llm.reset();
    llm.script.push({ status: 401, message: `invalid x-api-key ${KEY}` });
    const err = await rejection(anthropic().complete(ask));
    expect(err.message).not.toContain(KEY);
    expect(llm.calls).toHaveLength(1);
  });
});

describe('JSON replies', () => {
  const Shape = z.object({ n: z.number() });

  it('reads JSON wrapped in fences or prose', () => {
    expect(parseJsonObject('```json\n{"n": 1}\n```')).toEqual({ n: 1 });
    expect(parseJsonObject('Sure! Here it is: {"n": 2} Hope that helps.')).toEqual({ n: 2 });
    expect(parseJsonObject('no json')).toBeNull();
    expect(parseJsonObject('[1, 2]')).toBeNull();
  });

  it('asks again once after a malformed reply, saying what was wrong', async () => {
    llm.script.push('{"n": "one"', '{"n": 1}');
    expect(await completeJson(openai(), ask, Shape)).toEqual({ n: 1 });
    expect(llm.calls).toHaveLength(2);
    expect(llm.calls[1]!.messages.at(-1)!.content).toMatch(/not a JSON object/);
    expect(llmUsage()[0]).toMatchObject({ malformed_replies: 1 });
  });

  it('fails clearly after two malformed replies', async () => {
    llm.script.push('{"n": "x"}', 'still not');
    const err = await rejection(completeJson(openai(), ask, Shape));
    expect(err.kind).toBe('unavailable');
    expect(err.message).toMatch(/no usable JSON for test/);
  });
});

describe('choosing models from the configuration', () => {
  it('infers the provider from the model name and needs credentials', () => {
    const none = makeChatModels(loadConfig({}).llm);
    expect(none.generation).toBeNull();
    expect(none.unavailableReason).toMatch(/OPENAI_API_KEY/);

    const claude = loadConfig({ ANTHROPIC_API_KEY: KEY, GENERATION_MODEL: 'claude-sonnet-4-5' }).llm;
    expect(claude.generation.provider).toBe('anthropic');
    const models = makeChatModels(claude);
    expect(models.generation?.provider).toBe('anthropic');
    // FAST_MODEL defaults to a Claude model when only an Anthropic key is set.
    expect(models.fast?.provider).toBe('anthropic');

    const local = loadConfig({ OPENAI_API_BASE: 'http://localhost:11434/v1', GENERATION_MODEL: 'llama3.1' }).llm;
    expect(makeChatModels(local).generation?.model).toBe('llama3.1');
    expect(loadConfig({ GENERATION_MODEL: 'claude-x', GENERATION_PROVIDER: 'openai' }).llm.generation.provider).toBe(
      'openai',
    );
  });

  it('falls back to the generation model when the fast model has no credentials', () => {
    const llmConfig = loadConfig({ OPENAI_API_KEY: KEY, FAST_MODEL: 'claude-haiku-4-5' }).llm;
    const models = makeChatModels(llmConfig);
    expect(models.fast).toBe(models.generation);
  });
});
