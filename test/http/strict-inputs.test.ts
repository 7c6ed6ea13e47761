import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, memory, startServer, type TestServer } from './helpers.js';

/**
 * Request bodies refuse fields they do not know (issue 15): a misspelt filter must be a 422 naming the allowed
 * fields, never a 200 whose results only look filtered. Every field of the reference server's SearchRequest stays
 * accepted and honoured. Over real HTTP on loopback, a real SQLite file.
 */
let server: TestServer;
let url: string;

beforeAll(async () => {
  server = await startServer();
  url = server.url;
  const put = await call(url, 'POST', '/v1/long-term-memory', {
    body: {
      memories: [
        memory('a', 'Ana likes window seats on long flights', {
          namespace: 'strict',
          user_id: 'ana',
          session_id: 's1',
          topics: ['travel'],
          entities: ['Ana'],
          memory_type: 'semantic',
          event_date: '2026-01-10T00:00:00Z',
        }),
        memory('b', 'Ben likes aisle seats on trains', {
          namespace: 'strict',
          user_id: 'ben',
          session_id: 's2',
          topics: ['rail'],
          entities: ['Ben'],
          memory_type: 'episodic',
          event_date: '2026-03-10T00:00:00Z',
        }),
      ],
    },
  });
  expect(put.status).toBe(200);
});
afterAll(() => server.stop());

const search = (body: Record<string, unknown>) => call(url, 'POST', '/v1/long-term-memory/search', { body });
const ids = (body: { memories: { id: string }[] }) => body.memories.map((m) => m.id).sort();

describe('strict search body', () => {
  it('refuses an unknown field with a 422 that names it and the allowed fields', async () => {
    const res = await search({ text: 'seats', memory_typ: { eq: 'semantic' } });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/unknown field 'memory_typ'/);
    for (const field of ['text', 'memory_type', 'distance_threshold', 'recency_boost', 'limit'])
      expect(res.body.detail).toContain(field);
  });

  it('refuses the filters it cannot honour instead of ignoring them', async () => {
    for (const field of ['metadata', 'agent', 'position', 'steps']) {
      const res = await search({ text: '', [field]: { eq: 1 } });
      expect(res.status, field).toBe(422);
      expect(res.body.detail).toContain(`'${field}'`);
    }
    const two = await search({ text: '', foo: 1, bar: 2 });
    expect(two.status).toBe(422);
    expect(two.body.detail).toMatch(/unknown fields 'foo', 'bar'/);
  });

  it('filters by memory_tiers (only agent memories have a tier) and refuses a tier that does not exist', async () => {
    const all = await search({ text: '' });
    expect(all.status).toBe(200);
    expect(all.body.total).toBeGreaterThan(0);
    const tiered = await search({ text: '', memory_tiers: ['stm', 'im', 'ltm'] });
    expect(tiered.status).toBe(200);
    expect(tiered.body.total).toBe(0);
    const bad = await search({ text: '', memory_tiers: ['mtm'] });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toContain('memory_tiers');
  });

  it('takes every field of the reference server schema at once', async () => {
    const res = await search({
      text: 'seats',
      search_mode: 'hybrid',
      hybrid_alpha: 0.5,
      text_scorer: 'BM25STD',
      session_id: { eq: 's1' },
      namespace: { eq: 'strict' },
      user_id: { eq: 'ana' },
      topics: { any: ['travel'] },
      entities: { all: ['Ana'] },
      memory_type: { eq: 'semantic' },
      extraction_strategy: { eq: 'discrete' },
      created_at: { gte: '2000-01-01T00:00:00Z' },
      last_accessed: { gte: '2000-01-01T00:00:00Z' },
      updated_at: { gte: '2000-01-01T00:00:00Z' },
      event_date: { between: ['2026-01-01T00:00:00Z', '2026-02-01T00:00:00Z'], inclusive: 'both' },
      distance_threshold: 2,
      limit: 5,
      offset: 0,
      recency_boost: true,
      recency_semantic_weight: 0.8,
      recency_recency_weight: 0.2,
      recency_freshness_weight: 0.6,
      recency_novelty_weight: 0.4,
      recency_half_life_last_access_days: 7,
      recency_half_life_created_days: 30,
      server_side_recency: false,
      recency_importance_weight: 0.1,
      importance: { gte: 0 },
      pinned: false,
    });
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(['a']);
    expect(res.body.total).toBe(1);
  });

  it('honours each reference filter', async () => {
    const cases: [Record<string, unknown>, string[]][] = [
      [{ session_id: { eq: 's2' } }, ['b']],
      [{ user_id: 'ana' }, ['a']],
      [{ topics: { any: ['rail'] } }, ['b']],
      [{ entities: { eq: 'Ana' } }, ['a']],
      [{ memory_type: { eq: 'episodic' } }, ['b']],
      [{ event_date: { gte: '2026-02-01T00:00:00Z' } }, ['b']],
      [{ created_at: { lt: '2000-01-01T00:00:00Z' } }, []],
      [{ last_accessed: { gt: '2999-01-01T00:00:00Z' } }, []],
    ];
    for (const [filter, expected] of cases) {
      const res = await search({ text: '', namespace: { eq: 'strict' }, ...filter });
      expect(res.status, JSON.stringify(filter)).toBe(200);
      expect(ids(res.body), JSON.stringify(filter)).toEqual(expected);
      expect(res.body.total).toBe(expected.length);
    }
    const limited = await search({ text: 'seats', namespace: { eq: 'strict' }, limit: 1, offset: 1 });
    expect(limited.body.memories).toHaveLength(1);
    expect(limited.body.total).toBe(2);
  });

  it('refuses unknown fields inside filters too', async () => {
    const res = await search({ text: '', created_at: { after: '2026-01-01' } });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/created_at/);
  });
});

describe('the other REST bodies', () => {
  it('memory prompt: unknown top-level, session and long_term_search fields are 422', async () => {
    const top = await call(url, 'POST', '/v1/memory/prompt', { body: { query: 'seats', sesion: { session_id: 'x' } } });
    expect(top.status).toBe(422);
    expect(top.body.detail).toMatch(/unknown field 'sesion'.*query, session, long_term_search/);
    const session = await call(url, 'POST', '/v1/memory/prompt', {
      body: { query: 'seats', session: { session_id: 'x', window: 5 } },
    });
    expect(session.status).toBe(422);
    expect(session.body.detail).toMatch(/session: unknown field 'window'/);
    const nested = await call(url, 'POST', '/v1/memory/prompt', {
      body: { query: 'seats', long_term_search: { text: 'seats', topic: { eq: 'travel' } } },
    });
    expect(nested.status).toBe(422);
    expect(nested.body.detail).toMatch(/long_term_search: unknown field 'topic'/);
    const ok = await call(url, 'POST', '/v1/memory/prompt', {
      body: {
        query: 'seats',
        session: { session_id: 'x', model_name: 'gpt-4o', context_window_max: 4000 },
        long_term_search: { text: 'seats', namespace: { eq: 'strict' }, topics: { eq: 'travel' }, limit: 3 },
      },
    });
    expect(ok.status).toBe(200);
    expect(JSON.stringify(ok.body.long_term_memories)).toContain('window seats');
    expect(JSON.stringify(ok.body.long_term_memories)).not.toContain('aisle seats');
  });

  it('create memories: an unknown wrapper field is 422; records still take echoed result fields', async () => {
    const bad = await call(url, 'POST', '/v1/long-term-memory', {
      body: { memories: [memory('c', 'Cleo drinks tea')], dedupe: false },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toMatch(/unknown field 'dedupe'.*memories, deduplicate/);
    const echoed = await call(url, 'POST', '/v1/long-term-memory', {
      body: { memories: [{ ...memory('c', 'Cleo drinks tea'), dist: 0.1, score: 0.9 }] },
    });
    expect(echoed.status).toBe(200);
  });

  it('append messages: an unknown field is 422', async () => {
    const bad = await call(url, 'POST', '/v1/working-memory/strict-s/messages', {
      body: { messages: [{ role: 'user', content: 'hi' }], ttl: 60 },
    });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toMatch(/unknown field 'ttl'.*ttl_seconds/);
  });

  it('forget and summary views were strict already', async () => {
    const forget = await call(url, 'POST', '/v1/long-term-memory/forget', {
      body: { policy: { max_age_days: 30 }, pinned: [] },
    });
    expect(forget.status).toBe(422);
    const view = await call(url, 'POST', '/v1/summary-views', {
      body: { source: 'long_term', group_by: ['user_id'], filter: {} },
    });
    expect(view.status).toBe(422);
  });
});
