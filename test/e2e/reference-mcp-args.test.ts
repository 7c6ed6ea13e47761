/**
 * Agent configs written for the reference server (Redis Agent Memory Server) call its tool names with its argument
 * shapes: search_long_term_memory with `text` and filter objects (which may carry `field`), memory_prompt with
 * `session_id: {eq}`, `include_long_term_search`, `offset`, `optimize_query` and the recency weights, and null for
 * arguments not given. These tests drive the built CLI with the SDK client over stdio and an HTTP server over
 * Streamable HTTP and SSE.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeLlm, startFakeLlm } from '../helpers/fake-llm.js';
import { cleanup, connectMcp, type McpConnection, makeTempStore, textOf } from '../helpers/spawn.js';
import { startServer, type TestServer } from '../http/helpers.js';
import { callTool, connectMcp as connectHttp, toolText } from '../http/mcp-client.js';

interface Results {
  memories: { id: string; text: string; score: number }[];
  total: number;
  next_offset: number | null;
}
interface Prompt {
  messages: { role: string; content: { text: string } }[];
  long_term_memory_ids: string[];
}

const FACTS = [
  { id: 'ref-sushi', text: "Alice's favourite food is sushi", topics: ['food'], entities: ['Alice'] },
  { id: 'ref-ramen', text: 'Alice also likes ramen on cold days', topics: ['food'], entities: ['Alice'] },
  { id: 'ref-bike', text: 'Bob rides a red bicycle to work', topics: ['travel'], entities: ['Bob'] },
];

let mcp: McpConnection;
const store = makeTempStore();

beforeAll(async () => {
  mcp = await connectMcp(store.env());
  await mcp.ok('create_long_term_memories', {
    memories: FACTS.map((f) => ({ ...f, namespace: 'ref', user_id: 'alice' })),
  });
  await mcp.ok('set_working_memory', {
    session_id: 'ref-session',
    namespace: 'ref',
    user_id: 'alice',
    context: 'Alice is planning dinner.',
    messages: [
      { role: 'user', content: 'I am hungry' },
      { role: 'assistant', content: 'What would you like?' },
    ],
  });
});
afterAll(cleanup);

const ids = (r: Results) => r.memories.map((m) => m.id);

describe('search_long_term_memory over stdio', () => {
  it('is listed beside search_memory, saying it is the same tool', async () => {
    const { tools } = await mcp.client.listTools();
    const ref = tools.find((t) => t.name === 'search_long_term_memory');
    expect(ref?.description).toMatch(/same tool as search_memory/);
    expect(Object.keys(ref?.inputSchema.properties ?? {})).toEqual(
      expect.arrayContaining([
        'text',
        'session_id',
        'optimize_query',
        'recency_semantic_weight',
        'server_side_recency',
      ]),
    );
    // Unknown arguments are refused: the schema says so, and so does a call.
    expect(ref?.inputSchema.additionalProperties).toBe(false);
  });

  it("takes the reference's argument shapes: text, filter objects with field, nulls", async () => {
    const r = await mcp.ok<Results>('search_long_term_memory', {
      text: 'What food does Alice like?',
      namespace: { field: 'namespace', eq: 'ref' },
      user_id: { eq: 'alice' },
      topics: { field: 'topics', any: ['food'] },
      session_id: null,
      entities: null,
      created_at: { field: 'created_at', gte: '2020-01-01T00:00:00Z' },
      last_accessed: null,
      memory_type: { eq: 'semantic' },
      distance_threshold: null,
      search_mode: 'semantic',
      limit: 10,
      offset: 0,
      optimize_query: false,
      recency_boost: null,
      server_side_recency: null,
    });
    expect(ids(r).sort()).toEqual(['ref-ramen', 'ref-sushi']);
  });

  it('text: null lists by filters, and offset pages', async () => {
    const all = await mcp.ok<Results>('search_long_term_memory', { text: null, namespace: { eq: 'ref' } });
    expect(all.total).toBe(3);
    const second = await mcp.ok<Results>('search_long_term_memory', {
      text: null,
      namespace: { eq: 'ref' },
      limit: 1,
      offset: 1,
    });
    expect(second.memories).toHaveLength(1);
    expect(ids(all)).toContain(second.memories[0]?.id);
    expect(second.memories[0]?.id).not.toBe(all.memories[0]?.id);
  });

  it('honours the recency weights: recency_semantic_weight 0 leaves only recency in the score', async () => {
    const args = { text: 'sushi', namespace: { eq: 'ref' }, search_mode: 'keyword' };
    const plain = await mcp.ok<Results>('search_long_term_memory', { ...args, recency_boost: false });
    const onlyRecency = await mcp.ok<Results>('search_long_term_memory', {
      ...args,
      recency_semantic_weight: 0,
      recency_recency_weight: 1,
      recency_importance_weight: 0,
    });
    // Just created and just read: freshness and novelty are ~1, so a recency-only score is ~1 whatever the match.
    expect(onlyRecency.memories[0]?.score).toBeGreaterThan(0.99);
    expect(plain.memories[0]?.score).toBeLessThan(onlyRecency.memories[0]?.score ?? 0);
  });

  it('translates a time filter inclusive to bounds, and refuses what it cannot honour', async () => {
    const future = { between: ['2020-01-01T00:00:00Z', '2999-01-01T00:00:00Z'] };
    const inside = await mcp.ok<Results>('search_long_term_memory', {
      text: null,
      namespace: 'ref',
      created_at: { ...future, inclusive: 'neither' },
    });
    expect(inside.total).toBe(3);
    const bad = [
      [{ text: 'x', namespace: { field: 'user_id', eq: 'ref' } }, /namespace\.field/],
      [{ text: 'x', created_at: { between: future.between, inclusive: 'sideways' } }, /inclusive must be one of/],
      [{ text: 'x', created_at: { gte: '2020-01-01T00:00:00Z', inclusive: 'left' } }, /inclusive applies to between/],
      [{ text: 'x', hybrid_beta: 0.5 }, /Unrecognized key.*hybrid_beta/],
      [{ text: 'x', topics: { regex: 'fo+' } }, /regex/],
      [{ text: 'x', search_mode: 'keyword', distance_threshold: 0.5 }, /distance_threshold bounds the vector search/],
      [
        { text: 'x', search_mode: 'semantic', hybrid_alpha: 0.5 },
        /hybrid_alpha .* does not apply to search_mode semantic/,
      ],
    ] as const;
    for (const [args, message] of bad) {
      const r = await mcp.call('search_long_term_memory', args);
      expect(r.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(r)).toMatch(message);
    }
  });
});

describe('memory_prompt with the reference arguments', () => {
  it('session_id as {eq}, namespace and user_id filters: session and long-term memories', async () => {
    const p = await mcp.ok<Prompt>('memory_prompt', {
      query: 'What should Alice eat?',
      session_id: { eq: 'ref-session' },
      namespace: { eq: 'ref' },
      user_id: { eq: 'alice' },
      topics: { any: ['food'] },
      last_accessed: { gte: '2020-01-01T00:00:00Z' },
      limit: 5,
      search_mode: 'hybrid',
    });
    const texts = p.messages.map((m) => m.content.text);
    expect(texts.join('\n')).toContain('Alice is planning dinner.');
    expect(texts).toContain('I am hungry');
    expect(p.long_term_memory_ids.sort()).toEqual(['ref-ramen', 'ref-sushi']);
    expect(texts.at(-1)).toBe('What should Alice eat?');
  });

  it('include_long_term_search: false builds from the session alone', async () => {
    const p = await mcp.ok<Prompt>('memory_prompt', {
      query: 'What should Alice eat?',
      session_id: { eq: 'ref-session' },
      namespace: { eq: 'ref' },
      user_id: { eq: 'alice' },
      include_long_term_search: false,
    });
    expect(p.long_term_memory_ids).toEqual([]);
    expect(p.messages.map((m) => m.content.text).join('\n')).not.toMatch(/Long term memories/);
    expect(p.messages.map((m) => m.content.text)).toContain('I am hungry');
  });

  it('offset pages the long-term part; the recency weights reach the search', async () => {
    const base = { query: 'Alice food', namespace: { eq: 'ref' }, topics: { any: ['food'] } };
    const first = await mcp.ok<Prompt>('memory_prompt', { ...base, limit: 1 });
    const second = await mcp.ok<Prompt>('memory_prompt', { ...base, limit: 1, offset: 1 });
    expect(first.long_term_memory_ids).toHaveLength(1);
    expect(second.long_term_memory_ids).toHaveLength(1);
    expect(second.long_term_memory_ids).not.toEqual(first.long_term_memory_ids);
    const weighted = await mcp.ok<Prompt>('memory_prompt', {
      ...base,
      recency_boost: true,
      recency_semantic_weight: 0.5,
      recency_recency_weight: 0.5,
      recency_freshness_weight: 0.5,
      recency_novelty_weight: 0.5,
      recency_half_life_last_access_days: 3,
      recency_half_life_created_days: 10,
      server_side_recency: true,
      optimize_query: false,
    });
    expect(weighted.long_term_memory_ids.sort()).toEqual(['ref-ramen', 'ref-sushi']);
    // Out-of-range weights are checked, which shows they are read.
    const bad = await mcp.call('memory_prompt', { ...base, recency_semantic_weight: 2 });
    expect(bad.isError).toBe(true);
    expect(textOf(bad)).toMatch(/recency_semantic_weight/);
  });

  it('refuses what it cannot honour, with a message', async () => {
    const cases = [
      [{ query: 'q', include_long_term_search: false }, /needs session_id/],
      [{ query: 'q', session_id: { any: ['a', 'b'] } }, /session_id names one working-memory session/],
      [{ query: 'q', session_id: 'ref-session', namespace: { any: ['ref', 'x'] } }, /namespace must name one value/],
      [
        { query: 'q', session_id: 'ref-session', include_long_term_search: false, limit: 3, topics: 'food' },
        /topics, limit only shape the long-term search/,
      ],
      [{ query: 'q', model_name: 'gpt-4o' }, /give session_id with them/],
      [{ query: 'q', session_id: { field: 'namespace', eq: 'x' } }, /session_id\.field/],
      [{ query: 'q', text_scorer: 'BM25' }, /Unrecognized key.*text_scorer/],
      [{ query: 'q', search_mode: 'keyword', distance_threshold: 0.3 }, /distance_threshold bounds the vector search/],
    ] as const;
    for (const [args, message] of cases) {
      const r = await mcp.call('memory_prompt', args);
      expect(r.isError, JSON.stringify(args)).toBe(true);
      expect(textOf(r)).toMatch(message);
    }
  });
});

describe('the other tools with the reference argument names', () => {
  it('create, get, edit (null = unchanged), delete (empty list), compact, datetime', async () => {
    const created = await mcp.ok<{ memories: { id: string }[] }>('create_long_term_memories', {
      memories: [
        {
          id: 'ref-edit',
          text: 'Carol works in Lisbon',
          namespace: 'ref-other',
          memory_type: 'semantic',
          topics: ['work'],
          entities: ['Carol'],
          discrete_memory_extracted: 't',
          extraction_strategy: 'discrete',
          extracted_from: ['msg-1'],
          created_at: '2025-01-02T03:04:05Z',
          event_date: null,
        },
      ],
    });
    expect(created.memories.map((m) => m.id)).toEqual(['ref-edit']);
    const got = await mcp.ok<Record<string, unknown>>('get_long_term_memory', { memory_id: 'ref-edit' });
    expect(got.created_at).toBe('2025-01-02T03:04:05.000Z');
    expect(got.extracted_from).toEqual(['msg-1']);
    expect(got.discrete_memory_extracted).toBe('t');
    const edited = await mcp.ok<Record<string, unknown>>('edit_long_term_memory', {
      memory_id: 'ref-edit',
      text: 'Carol works in Porto',
      topics: null,
      entities: null,
      memory_type: null,
      namespace: null,
      user_id: null,
      session_id: null,
      event_date: null,
      pinned: true,
    });
    expect(edited.text).toBe('Carol works in Porto');
    expect(edited.topics).toEqual(['work']);
    expect(edited.namespace).toBe('ref-other');
    expect(edited.pinned).toBe(true);
    const wm = await mcp.ok<{ messages: unknown[] }>('get_working_memory', {
      session_id: 'ref-session',
      namespace: 'ref',
      user_id: 'alice',
      recent_messages_limit: 1,
    });
    expect(wm.messages).toHaveLength(1);
    expect(await mcp.ok('delete_long_term_memories', { memory_ids: [] })).toMatchObject({
      status: 'ok, deleted 0 memories',
      deleted: 0,
    });
    const compacted = await mcp.ok<{ scanned: number }>('compact_long_term_memories', {
      namespace: 'ref-other',
      user_id: null,
      session_id: null,
    });
    expect(compacted.scanned).toBe(1);
    const bySession = await mcp.call('compact_long_term_memories', { namespace: 'ref', session_id: 'ref-session' });
    expect(bySession.isError).toBe(true);
    expect(textOf(bySession)).toMatch(/cannot be limited to a session/);
    const now = await mcp.ok<{ iso_utc: string; unix_ts: number }>('get_current_datetime', {});
    expect(Math.abs(now.unix_ts - Date.now() / 1000)).toBeLessThan(60);
  });
});

describe('optimize_query', () => {
  let llm: FakeLlm;
  let withLlm: McpConnection;
  beforeAll(async () => {
    llm = await startFakeLlm();
    llm.responder = (c) => (c.system.includes('rewrite a search query') ? '{"query": "sushi"}' : 'ok');
    const s = makeTempStore();
    withLlm = await connectMcp(
      s.env({ OPENAI_API_BASE: llm.openaiUrl, GENERATION_MODEL: 'local-model', FAST_MODEL: 'local-model' }),
    );
    await withLlm.ok('create_long_term_memories', { memories: FACTS.map((f) => ({ ...f, namespace: 'opt' })) });
  });
  afterAll(async () => {
    await withLlm.close();
    await llm.close();
  });

  it('search_long_term_memory and memory_prompt search with the rewrite', async () => {
    // "what does she eat" shares no word with the stored texts: only the rewrite ("sushi") finds one by keyword.
    const args = { namespace: { eq: 'opt' }, search_mode: 'keyword' };
    const raw = await withLlm.ok<Results>('search_long_term_memory', { ...args, text: 'what does she eat' });
    expect(raw.total).toBe(0);
    const rewritten = await withLlm.ok<Results>('search_long_term_memory', {
      ...args,
      text: 'what does she eat',
      optimize_query: true,
    });
    expect(ids(rewritten)).toEqual(['ref-sushi']);
    const p = await withLlm.ok<Prompt>('memory_prompt', { ...args, query: 'what does she eat', optimize_query: true });
    expect(p.long_term_memory_ids).toEqual(['ref-sushi']);
    // The prompt still ends with the user's own words.
    expect(p.messages.at(-1)?.content.text).toBe('what does she eat');
    expect(llm.callsWith('rewrite a search query').map((c) => c.user)).toEqual([
      'what does she eat',
      'what does she eat',
    ]);
  });
});

describe('search_long_term_memory over HTTP', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(() => server.stop());

  for (const kind of ['http', 'sse'] as const) {
    it(`works with the SDK client over ${kind === 'http' ? 'Streamable HTTP' : 'SSE'}`, async () => {
      const client = await connectHttp(`${server.url}/${kind === 'http' ? 'mcp' : 'sse'}`, kind);
      try {
        await client.listTools();
        const made = await callTool(client, 'create_long_term_memories', {
          memories: [{ id: `h-${kind}`, text: `The ${kind} transport works`, namespace: `h-${kind}` }],
        });
        expect(made.isError, toolText(made)).toBeFalsy();
        const r = await callTool(client, 'search_long_term_memory', {
          text: 'transport works',
          namespace: { field: 'namespace', eq: `h-${kind}` },
          session_id: null,
          optimize_query: false,
        });
        expect(r.isError, toolText(r)).toBeFalsy();
        expect((r.structuredContent as unknown as Results).memories.map((m) => m.id)).toEqual([`h-${kind}`]);
      } finally {
        await client.close();
      }
    });
  }
});
