/**
 * Every program in examples/, run as its own process against a real `agent-memory api` process and a local
 * OpenAI/Anthropic-wire stand-in for the model, through the real SDKs. The stand-in behaves like a model that
 * uses the memory tools: it stores facts it is asked to remember, and answers from what memory gives it.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryClient } from '../../src/client/index.js';
import { type ChatCall, type FakeLlm, type Reply, startFakeLlm } from '../helpers/fake-llm.js';
import { cleanup, type Env, makeTempStore, ROOT, run, spawnTracked } from '../helpers/spawn.js';

let llm: FakeLlm;
let api = '';
let env: Env = {};

const FACT = /remember that my (.+?) is (\w+)/i;
const QUESTION = /what is my (.+?)\?/i;

/** What a tool-using model would say next. */
function modelReply(call: ChatCall): Reply {
  const last = call.messages.at(-1);
  const isToolResult = last?.role === 'tool' || (last?.role === 'user' && last.content.trim().startsWith('{'));
  const asked = [...call.messages].reverse().find((m) => m.role === 'user' && !m.content.trim().startsWith('{'));
  const question = QUESTION.exec(asked?.content ?? '');
  if (isToolResult) {
    const found = question ? new RegExp(`${question[1]} is (\\w+)`, 'i').exec(last!.content) : null;
    if (question) return found ? `Your ${question[1]} is ${found[1]}.` : "I don't know.";
    return 'Noted: I will remember that.';
  }
  const fact = FACT.exec(asked?.content ?? '');
  if (fact && call.toolNames.includes('create_long_term_memories')) {
    const text = `The user's ${fact[1]} is ${fact[2]}.`;
    return { toolCalls: [{ name: 'create_long_term_memories', arguments: { memories: [{ text }] } }] };
  }
  if (question) {
    // Memory the prompt already holds (withMemory's memory_prompt) answers without a tool call.
    const known = new RegExp(`${question[1]} is (\\w+)`, 'i').exec(call.system);
    if (known) return `Your ${question[1]} is ${known[1]}.`;
    if (call.toolNames.includes('search_memory')) {
      return { toolCalls: [{ name: 'search_memory', arguments: { query: question[1] } }] };
    }
  }
  return "I don't know.";
}

beforeAll(async () => {
  llm = await startFakeLlm();
  llm.responder = modelReply;
  const store = makeTempStore();
  const server = spawnTracked(
    process.execPath,
    [join(ROOT, 'dist', 'src', 'cli.js'), 'api', '--port', '0'],
    store.env({ EMBEDDING_MODEL: 'offline-hash-v1', LOG_LEVEL: 'warn', RATE_LIMIT_PER_MINUTE: '100000' }),
  );
  api = await new Promise<string>((resolve, reject) => {
    let out = '';
    server.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    server.once('exit', (code) => reject(new Error(`agent-memory api exited with ${code}`)));
  });
  env = {
    PATH: process.env.PATH ?? '',
    HOME: store.dir,
    AGENT_MEMORY_URL: api,
    OPENAI_BASE_URL: llm.openaiUrl,
    OPENAI_API_KEY: 'test-key',
    ANTHROPIC_BASE_URL: llm.anthropicUrl,
    ANTHROPIC_API_KEY: 'test-key',
    MODEL: 'stand-in-model',
  };
});
afterAll(async () => {
  await cleanup();
  await llm?.close();
});

const example = async (name: string, userId: string) => {
  const r = await run(
    process.execPath,
    [join(ROOT, 'dist', 'examples', `${name}.js`)],
    { ...env, USER_ID: userId },
    {
      cwd: ROOT,
      timeoutMs: 60_000,
    },
  );
  expect(r.code, `${name} failed:\n${r.stdout}\n${r.stderr}`).toBe(0);
  return r.stdout;
};
const memoriesOf = (userId: string) =>
  new MemoryClient({ baseUrl: api, namespace: 'examples', userId }).longTerm.list().then((p) => p.memories);

describe('examples', () => {
  it('ai-sdk-chat: stores a fact in one conversation and recalls it in a second, over the server', async () => {
    llm.calls.length = 0;
    const out = await example('ai-sdk-chat', 'ai-sdk-user');
    expect(out).toContain('[conversation 1] assistant: Noted: I will remember that.');
    expect(out).toContain('[conversation 2] assistant: Your favourite colour is teal.');
    expect((await memoriesOf('ai-sdk-user')).map((m) => m.text)).toEqual(["The user's favourite colour is teal."]);
    // The second conversation is a new session: the fact reached the model only through memory_prompt.
    const second = llm.calls.find((c) => c.user === 'What is my favourite colour?')!;
    expect(second.system).toContain("The user's favourite colour is teal.");
    expect(second.messages.map((m) => m.content).join('\n')).not.toContain('Please remember');
    const client = new MemoryClient({ baseUrl: api, namespace: 'examples', userId: 'ai-sdk-user' });
    const sessions = (await client.workingMemory.list()).sessions.filter((s) => s.startsWith('ai-sdk-'));
    expect(sessions).toHaveLength(2);
    for (const s of sessions) expect((await client.workingMemory.get(s)).messages).toHaveLength(2);
  });

  it('openai-tools: the OpenAI SDK loop with resolveToolCall', async () => {
    llm.calls.length = 0;
    const out = await example('openai-tools', 'openai-user');
    expect(out).toContain('assistant: Noted: I will remember that.');
    expect(out).toContain('assistant: Your favourite colour is teal.');
    expect(llm.calls.every((c) => c.api === 'openai' && c.toolNames.includes('search_memory'))).toBe(true);
    expect(await memoriesOf('openai-user')).toHaveLength(1);
  });

  it('anthropic-tools: the Anthropic SDK loop with tool_use and tool_result blocks', async () => {
    llm.calls.length = 0;
    const out = await example('anthropic-tools', 'anthropic-user');
    expect(out).toContain('assistant: Your favourite colour is teal.');
    expect(llm.calls.length).toBeGreaterThanOrEqual(4);
    expect(llm.calls.every((c) => c.api === 'anthropic')).toBe(true);
    expect(await memoriesOf('anthropic-user')).toHaveLength(1);
  });

  it('langchain-tools: LangChain.js tools bound to ChatOpenAI', async () => {
    llm.calls.length = 0;
    const out = await example('langchain-tools', 'langchain-user');
    expect(out).toContain('assistant: Noted: I will remember that.');
    expect(out).toContain('assistant: Your favourite colour is teal.');
    expect(await memoriesOf('langchain-user')).toHaveLength(1);
  });

  it('client-basics: append, ETag update, search, paging and a typed error', async () => {
    const out = await example('client-basics', 'basics-user');
    expect(out).toMatch(/session basics-\w+: 2 messages, data \{"destination":"Kyoto"\}/);
    expect(out).toContain('best match: The user prefers trains to planes.');
    expect(out).toContain('travel memories: 2');
    expect(out).toMatch(/missing memory: 404 No long-term memory/);
  });
});
