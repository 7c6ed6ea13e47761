import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, memory, startServer, type TestServer } from './helpers.js';

let server: TestServer;
let url: string;

beforeAll(async () => {
  server = await startServer();
  url = server.url;
});
afterAll(() => server.stop());

describe('REST /v1 (reference-server dialect)', () => {
  it('answers health without auth', async () => {
    const res = await call(url, 'GET', '/v1/health');
    expect(res.status).toBe(200);
    expect(Math.abs(res.body.now - Date.now())).toBeLessThan(60_000);
  });

  it('puts, gets, lists and deletes working memory', async () => {
    const put = await call(url, 'PUT', '/v1/working-memory/chat-1?context_window_max=1000', {
      body: {
        namespace: 'travel',
        user_id: 'alice',
        messages: [
          { role: 'user', content: 'I am flying to Lisbon in May' },
          { role: 'assistant', content: 'Noted: Lisbon in May.' },
        ],
        context: 'Alice plans trips.',
        data: { locale: 'en' },
      },
    });
    expect(put.status).toBe(200);
    expect(put.body.session_id).toBe('chat-1');
    expect(put.body.messages).toHaveLength(2);
    expect(put.body.context_percentage_total_used).toBeGreaterThan(0);

    const got = await call(
      url,
      'GET',
      '/v1/working-memory/chat-1?namespace=travel&user_id=alice&recent_messages_limit=1',
    );
    expect(got.status).toBe(200);
    expect(got.body.messages.map((m: { content: string }) => m.content)).toEqual(['Noted: Lisbon in May.']);
    expect(got.body.context_percentage_total_used).toBeNull();

    for (const path of ['/v1/working-memory/?namespace=travel', '/v1/working-memory?namespace=travel']) {
      const list = await call(url, 'GET', path);
      expect(list.status).toBe(200);
      expect(list.body).toEqual({ sessions: ['chat-1'], total: 1 });
    }

    const del = await call(url, 'DELETE', '/v1/working-memory/chat-1?namespace=travel&user_id=alice');
    expect(del.body).toEqual({ status: 'ok' });
    const missing = await call(url, 'GET', '/v1/working-memory/chat-1?namespace=travel');
    expect(missing.status).toBe(404);
    expect(missing.body.detail).toMatch(/chat-1/);
    // Deleting again is still ok, as in the reference server.
    expect((await call(url, 'DELETE', '/v1/working-memory/chat-1')).body).toEqual({ status: 'ok' });
  });

  it('appends messages atomically and never duplicates a re-sent id', async () => {
    const path = '/v1/working-memory/chat-append/messages?recent_messages_limit=1';
    const first = await call(url, 'POST', path, {
      body: { namespace: 'ns-append', messages: [{ id: 'm-1', role: 'user', content: 'one' }] },
    });
    expect(first.status).toBe(200);
    expect(first.body.appended).toBe(1);
    const parallel = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        call(url, 'POST', path, {
          body: { namespace: 'ns-append', messages: [{ role: 'user', content: `msg ${i}` }] },
        }),
      ),
    );
    expect(parallel.every((r) => r.status === 200)).toBe(true);
    const again = await call(url, 'POST', path, {
      body: { namespace: 'ns-append', messages: [{ id: 'm-1', role: 'user', content: 'one' }] },
    });
    expect(again.body.appended).toBe(0);
    expect(again.body.total_messages).toBe(9);
    expect(again.body.messages).toHaveLength(1);
  });

  it('creates long-term memories that the very next search finds', async () => {
    const created = await call(url, 'POST', '/v1/long-term-memory/', {
      body: {
        memories: [
          memory('lt-1', 'Alice prefers window seats on long flights', { namespace: 'travel', topics: ['travel'] }),
          memory('lt-2', 'Bob is allergic to peanuts', { namespace: 'travel', entities: ['Bob'] }),
        ],
      },
    });
    expect(created.status).toBe(200);
    expect(created.body.status).toBe('ok');
    expect(created.body.created).toBe(2);

    const found = await call(url, 'POST', '/v1/long-term-memory/search', {
      body: { text: 'which seat does Alice like on a plane?', namespace: { eq: 'travel' }, limit: 5 },
    });
    expect(found.status).toBe(200);
    expect(found.body.memories[0].id).toBe('lt-1');
    expect(found.body.memories[0]).toHaveProperty('dist');
    expect(found.body.total).toBeGreaterThanOrEqual(1);

    const keyword = await call(url, 'POST', '/v1/long-term-memory/search?optimize_query=false', {
      body: { text: 'peanuts', search_mode: 'keyword', entities: { any: ['Bob'] } },
    });
    expect(keyword.body.memories.map((m: { id: string }) => m.id)).toEqual(['lt-2']);
  });

  it('requires an id on created records, as the reference server does', async () => {
    const res = await call(url, 'POST', '/v1/long-term-memory', { body: { memories: [{ text: 'no id here' }] } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/memories\[0\]\.id/);
  });

  it('gets, patches, lists and deletes memories by id', async () => {
    await call(url, 'POST', '/v1/long-term-memory', {
      body: { memories: [memory('edit-1', 'Carol lives in Berlin', { namespace: 'people', user_id: 'carol' })] },
    });
    const got = await call(url, 'GET', '/v1/long-term-memory/edit-1');
    expect(got.status).toBe(200);
    expect(got.body.text).toBe('Carol lives in Berlin');

    const patched = await call(url, 'PATCH', '/v1/long-term-memory/edit-1', {
      body: { text: 'Carol lives in Munich', pinned: true },
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ text: 'Carol lives in Munich', pinned: true, namespace: 'people' });

    const empty = await call(url, 'PATCH', '/v1/long-term-memory/edit-1', { body: {} });
    expect(empty.status).toBe(400);
    expect(empty.body.detail).toMatch(/No fields/);

    const list = await call(url, 'GET', '/v1/long-term-memory?namespace=people&user_id=carol&pinned=true&limit=5');
    expect(list.status).toBe(200);
    expect(list.body.memories.map((m: { id: string }) => m.id)).toEqual(['edit-1']);
    expect(list.body.next_offset).toBeNull();

    const del = await call(url, 'DELETE', '/v1/long-term-memory?memory_ids=edit-1&memory_ids=never-existed');
    expect(del.body).toEqual({ status: 'ok, deleted 1 memories' });
    expect((await call(url, 'GET', '/v1/long-term-memory/edit-1')).status).toBe(404);
  });

  it('composes a memory prompt from the session and long-term memories', async () => {
    await call(url, 'PUT', '/v1/working-memory/chat-prompt', {
      body: {
        namespace: 'travel',
        messages: [{ role: 'user', content: 'Book me a flight to Lisbon' }],
        context: 'Trip planning.',
      },
    });
    const res = await call(url, 'POST', '/v1/memory/prompt', {
      body: {
        query: 'Which seat should I book for Alice?',
        session: { session_id: 'chat-prompt', namespace: 'travel' },
        long_term_search: { namespace: { eq: 'travel' }, limit: 3 },
      },
    });
    expect(res.status).toBe(200);
    const texts = res.body.messages.map((m: { content: { text: string } }) => m.content.text);
    expect(texts[0]).toMatch(/summary of the conversation/);
    expect(texts).toContain('Book me a flight to Lisbon');
    expect(texts.some((t: string) => t.includes('window seats') && t.includes('(ID: lt-1)'))).toBe(true);
    expect(texts.at(-1)).toBe('Which seat should I book for Alice?');
    expect(res.body.long_term_memories[0].id).toBe('lt-1');

    const bare = await call(url, 'POST', '/v1/memory/prompt', { body: { query: 'hello' } });
    expect(bare.status).toBe(400);
    expect(bare.body.detail).toMatch(/session or long_term_search/);

    const defaults = await call(url, 'POST', '/v1/memory/prompt', {
      body: { query: 'Alice seats', long_term_search: true },
    });
    expect(defaults.status).toBe(200);
  });

  it('reports stats', async () => {
    const res = await call(url, 'GET', '/v1/stats?namespace=travel');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ namespace: 'travel', long_term_memories: 2, store: 'sqlite' });
    const all = await call(url, 'GET', '/v1/stats');
    expect(all.body.namespace).toBeNull();
    expect(all.body.long_term_memories).toBeGreaterThanOrEqual(2);
  });

  it('answers bad input with a 4xx and a detail a person can act on', async () => {
    const cases: [
      string,
      string,
      { body?: unknown; raw?: string; headers?: Record<string, string> },
      number,
      RegExp,
    ][] = [
      ['POST', '/v1/long-term-memory/search', { body: { limit: 1000 } }, 422, /limit/],
      ['POST', '/v1/long-term-memory/search', { body: { namespace: { regex: 'x' } } }, 422, /namespace/],
      ['POST', '/v1/long-term-memory/search', { raw: '{"text": ' }, 400, /JSON/i],
      [
        'POST',
        '/v1/long-term-memory/search',
        { raw: '{}', headers: { 'Content-Type': 'text/plain' } },
        415,
        /application\/json/,
      ],
      [
        'PUT',
        '/v1/working-memory/x',
        { body: { messages: [{ role: ' ', content: 'hi' }] } },
        422,
        /messages\[0\]\.role/,
      ],
      ['GET', '/v1/working-memory?limit=0', {}, 422, /limit/],
      ['GET', '/v1/working-memory?limit=abc', {}, 422, /limit/],
      ['GET', '/v1/nothing-here', {}, 404, /No route/],
      ['POST', '/v1/long-term-memory/forget', { body: { policy: {} } }, 422, /at least one of max_age_days/],
      ['GET', '/v1/summary-views/nope', {}, 404, /No summary view with id "nope"/],
      ['GET', '/v1/tasks/123', {}, 404, /No task with id "123"/],
      ['POST', '/v1/long-term-memory/compact?namespace=', {}, 422, /namespace/],
    ];
    for (const [method, path, opts, status, detail] of cases) {
      const res = await call(url, method, path, opts);
      expect({ method, path, status: res.status }).toEqual({ method, path, status });
      expect(res.body.detail).toMatch(detail);
    }
  });

  it('rejects a PUT whose body names a different session', async () => {
    const res = await call(url, 'PUT', '/v1/working-memory/a', { body: { session_id: 'b', messages: [] } });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/differs/);
  });
});
