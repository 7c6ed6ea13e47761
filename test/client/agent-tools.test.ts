/**
 * The memory tools for model APIs (OpenAI and Anthropic schemas with resolveToolCall, the AI SDK, LangChain) and
 * the withMemory chat loop, against a real server on loopback.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { aiSdkMemoryTools } from '../../src/client/ai-sdk.js';
import { type ChatMessage, MemoryClient, memoryTools, splitSystem, withMemory } from '../../src/client/index.js';
import { langchainMemoryTools } from '../../src/client/langchain.js';
import { startServer, type TestServer } from '../http/helpers.js';

let server: TestServer;
let alice: MemoryClient;

beforeAll(async () => {
  server = await startServer({ EMBEDDING_MODEL: 'offline-hash-v1', RATE_LIMIT_PER_MINUTE: '100000' });
  alice = new MemoryClient({ baseUrl: server.url, namespace: 'tools-test', userId: 'alice' });
});
afterAll(() => server?.stop());

const openaiCall = (name: string, args: unknown, id = 'call_1') => ({
  id,
  type: 'function' as const,
  function: { name, arguments: typeof args === 'string' ? args : JSON.stringify(args) },
});

describe('tool schemas', () => {
  it('offers the MCP tools by name and description, without scope arguments', () => {
    const kit = memoryTools(alice);
    const openai = kit.openai();
    expect(openai.map((t) => t.function.name)).toEqual([
      'search_memory',
      'create_long_term_memories',
      'get_long_term_memory',
      'edit_long_term_memory',
      'delete_long_term_memories',
      'get_current_datetime',
    ]);
    for (const t of openai) {
      expect(t.function.parameters.type).toBe('object');
      expect(t.function.parameters).not.toHaveProperty('$schema');
      const props = Object.keys((t.function.parameters.properties ?? {}) as object);
      expect(props).not.toContain('namespace');
      expect(props).not.toContain('user_id');
    }
    const search = openai[0]!.function;
    expect(search.description).toMatch(/Finds stored long-term memories/);
    expect(Object.keys(search.parameters.properties as object)).toContain('query');
    expect(search.parameters.required ?? []).toEqual([]);
    expect(kit.anthropic()[1]).toMatchObject({ name: 'create_long_term_memories', input_schema: { type: 'object' } });
  });

  it('selects tools, and refuses names it does not know', () => {
    expect(
      memoryTools(alice, { readOnly: true })
        .openai()
        .map((t) => t.function.name),
    ).toEqual(['search_memory', 'get_long_term_memory', 'get_current_datetime']);
    expect(memoryTools(alice, { tools: ['search_memory'] }).handles('create_long_term_memories')).toBe(false);
    expect(() => memoryTools(alice, { tools: ['nope' as never] })).toThrow(/Unknown memory tools: nope/);
  });
});

describe('resolveToolCall', () => {
  it('executes OpenAI tool calls and answers with tool messages', async () => {
    const kit = memoryTools(alice);
    const stored = await kit.resolveToolCall(
      openaiCall('create_long_term_memories', { memories: [{ text: 'Alice keeps bees in her garden' }] }),
    );
    expect(stored).toMatchObject({ role: 'tool', tool_call_id: 'call_1' });
    expect(JSON.parse(stored.content)).toMatchObject({ created: 1 });

    const found = JSON.parse((await kit.resolveToolCall(openaiCall('search_memory', { query: 'bees' }))).content);
    expect(found.memories[0]).toMatchObject({ text: 'Alice keeps bees in her garden' });
    expect(found.memories[0]).not.toHaveProperty('memory_hash');
    const record = await alice.longTerm.get(found.memories[0].id);
    expect(record).toMatchObject({ namespace: 'tools-test', user_id: 'alice' });
  });

  it('answers bad calls with an error the model can read', async () => {
    const kit = memoryTools(alice);
    const errorOf = async (call: ReturnType<typeof openaiCall>) =>
      JSON.parse((await kit.resolveToolCall(call)).content).error as string;
    expect(await errorOf(openaiCall('search_memory', '{"query": '))).toMatch(/not valid JSON/);
    expect(await errorOf(openaiCall('create_long_term_memories', { memories: [] }))).toMatch(
      /Invalid arguments for create_long_term_memories: memories/,
    );
    expect(await errorOf(openaiCall('create_long_term_memories', { memories: [{ text: ' ' }] }))).toMatch(
      /text must not be empty/,
    );
    expect(await errorOf(openaiCall('unknown_tool', {}))).toMatch(/No memory tool "unknown_tool"/);
    expect(await errorOf(openaiCall('get_long_term_memory', { memory_id: 'missing' }))).toMatch(/No long-term memory/);
    // A field the model made up is dropped, not an error.
    const extra = await kit.resolveToolCall(openaiCall('search_memory', { query: 'bees', user_id: 'mallory' }));
    expect(JSON.parse(extra.content).total).toBeGreaterThan(0);
  });

  it('executes Anthropic tool_use blocks and marks failures', async () => {
    const kit = memoryTools(alice);
    const ok = await kit.resolveToolCall({ type: 'tool_use', id: 'toolu_1', name: 'get_current_datetime', input: {} });
    expect(ok).toMatchObject({ type: 'tool_result', tool_use_id: 'toolu_1' });
    expect(ok.is_error).toBeUndefined();
    expect(JSON.parse(ok.content).iso_utc).toMatch(/^\d{4}-/);
    const bad = await kit.resolveToolCall({
      type: 'tool_use',
      id: 'toolu_2',
      name: 'delete_long_term_memories',
      input: {},
    });
    expect(bad.is_error).toBe(true);
  });

  it("keeps each user's memories out of another user's tools", async () => {
    const { memories } = await alice.longTerm.create([{ text: 'Alice secret: the safe code is 1234' }]);
    const id = memories[0]!.id;
    const bob = memoryTools(alice, { userId: 'bob' });
    const got = await bob.resolveToolCall(openaiCall('get_long_term_memory', { memory_id: id }));
    expect(JSON.parse(got.content).error).toMatch(/No long-term memory/);
    const edit = await bob.resolveToolCall(openaiCall('edit_long_term_memory', { memory_id: id, text: 'hacked' }));
    expect(JSON.parse(edit.content).error).toMatch(/No long-term memory/);
    const del = JSON.parse(
      (await bob.resolveToolCall(openaiCall('delete_long_term_memories', { memory_ids: [id] }))).content,
    );
    expect(del).toEqual({ deleted: 0, not_found: [id] });
    const search = JSON.parse((await bob.resolveToolCall(openaiCall('search_memory', { query: 'safe code' }))).content);
    expect(search.total).toBe(0);
    expect((await alice.longTerm.get(id)).text).toMatch(/1234/);

    const own = memoryTools(alice);
    const edited = await own.resolveToolCall(openaiCall('edit_long_term_memory', { memory_id: id, pinned: true }));
    expect(JSON.parse(edited.content)).toMatchObject({ id, pinned: true });
    const gone = JSON.parse(
      (await own.resolveToolCall(openaiCall('delete_long_term_memories', { memory_ids: [id] }))).content,
    );
    expect(gone).toEqual({ deleted: 1, not_found: [] });
  });
});

describe('framework adapters', () => {
  it('gives AI SDK tools that execute and answer errors as values', async () => {
    const tools = aiSdkMemoryTools(alice, { userId: 'ai-sdk-user' });
    const opts = { toolCallId: 't1', messages: [] };
    const created = await tools.create_long_term_memories!.execute!(
      { memories: [{ text: 'The AI SDK user drinks oat milk' }] },
      opts,
    );
    expect(created).toMatchObject({ created: 1 });
    const found = (await tools.search_memory!.execute!({ query: 'oat milk' }, opts)) as { total: number };
    expect(found.total).toBe(1);
    expect(await tools.get_long_term_memory!.execute!({}, opts)).toMatchObject({ error: /memory_id/ });
  });

  it('gives LangChain tools that answer JSON', async () => {
    const tools = langchainMemoryTools(alice, {
      userId: 'lc-user',
      tools: ['create_long_term_memories', 'search_memory'],
    });
    expect(tools.map((t) => t.name)).toEqual(['search_memory', 'create_long_term_memories']);
    const create = tools.find((t) => t.name === 'create_long_term_memories')!;
    expect(JSON.parse(await create.invoke({ memories: [{ text: 'The LangChain user plays chess' }] }))).toMatchObject({
      created: 1,
    });
    const search = tools.find((t) => t.name === 'search_memory')!;
    expect(JSON.parse(await search.invoke({ query: 'chess' })).total).toBe(1);
  });
});

describe('withMemory', () => {
  it('builds each prompt with memory and records each turn', async () => {
    const client = alice.withScope({ userId: 'chatter' });
    await client.longTerm.create([{ text: 'The chatter lives in Porto' }]);
    const prompts: ChatMessage[][] = [];
    const recalled: string[][] = [];
    const chat = withMemory(client, { sessionId: 'chat-a', system: 'You are terse.' }, async (messages, turn) => {
      prompts.push(messages);
      recalled.push(turn.memories.map((m) => m.text));
      return `reply ${prompts.length}`;
    });
    expect(await chat('Where do I live? Porto?')).toBe('reply 1');
    expect(recalled[0]).toEqual(['The chatter lives in Porto']);
    await chat('And what did I just ask?');
    const [first, second] = prompts;
    expect(first![0]).toEqual({ role: 'system', content: 'You are terse.' });
    expect(first!.some((m) => m.role === 'system' && m.content.includes('The chatter lives in Porto'))).toBe(true);
    expect(first!.at(-1)).toEqual({ role: 'user', content: 'Where do I live? Porto?' });
    expect(second!.map((m) => m.content)).toContain('reply 1');
    const wm = await client.workingMemory.get('chat-a');
    expect(wm.messages.map((m) => `${m.role}:${m.content}`)).toEqual([
      'user:Where do I live? Porto?',
      'assistant:reply 1',
      'user:And what did I just ask?',
      'assistant:reply 2',
    ]);
    const split = splitSystem(second!);
    expect(split.system).toMatch(/^You are terse\./);
    expect(split.messages).toHaveLength(second!.filter((m) => m.role !== 'system').length);
  });

  it('records nothing when the model call fails, and validates its input', async () => {
    const client = alice.withScope({ userId: 'failing' });
    const chat = withMemory(client, { sessionId: 'chat-fail', longTermSearch: false }, async () => {
      throw new Error('model down');
    });
    await expect(chat('hello')).rejects.toThrow('model down');
    expect(await client.workingMemory.find('chat-fail')).toBeNull();
    await expect(chat('   ')).rejects.toThrow(/empty/);
    expect(() => withMemory(client, { sessionId: '' }, async () => 'x')).toThrow(/sessionId/);
  });
});
