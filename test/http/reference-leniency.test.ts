import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, memory, startServer, type TestServer } from './helpers.js';

/**
 * The request shapes the reference server's clients send where its pydantic models are lenient (facts from its
 * models and clients, listed in docs/compatibility.md): each must work here as it does there.
 */
let server: TestServer;
let url: string;

beforeAll(async () => {
  server = await startServer();
  url = server.url;
  await call(url, 'POST', '/v1/long-term-memory', {
    body: {
      memories: [
        memory('early', 'The kickoff meeting was in January', { event_date: '2026-01-01T00:00:00Z' }),
        memory('middle', 'The review meeting was in February', { event_date: '2026-02-01T00:00:00Z' }),
        memory('late', 'The launch meeting was in March', { event_date: '2026-03-01T00:00:00Z' }),
      ],
    },
  });
});
afterAll(() => server.stop());

const ids = (body: { memories: { id: string }[] }) => body.memories.map((m) => m.id).sort();

describe('leniency the reference clients rely on', () => {
  it('takes any message role, and a memory prompt speaks other roles as assistant', async () => {
    const put = await call(url, 'PUT', '/v1/working-memory/roles', {
      body: {
        messages: [
          { id: 'r1', role: 'user', content: 'What is the weather in Oslo?' },
          { id: 'r2', role: 'function', content: '{"temp": -3}' },
        ],
      },
    });
    expect(put.status).toBe(200);
    expect(put.body.messages.map((m: { role: string }) => m.role)).toEqual(['user', 'function']);
    const append = await call(url, 'POST', '/v1/working-memory/roles/messages', {
      body: { messages: [{ role: 'developer', content: 'Answer in Celsius.' }] },
    });
    expect(append.status).toBe(200);
    const prompt = await call(url, 'POST', '/v1/memory/prompt', {
      body: { query: 'And tomorrow?', session: { session_id: 'roles' } },
    });
    expect(prompt.status).toBe(200);
    const roles = prompt.body.messages.map((m: { role: string }) => m.role);
    expect(roles.slice(0, 3)).toEqual(['user', 'assistant', 'assistant']);
  });

  it('takes numeric strings where a number is expected, and still refuses what is not a number', async () => {
    const prompt = await call(url, 'POST', '/v1/memory/prompt', {
      body: { query: 'meetings', session: { session_id: 'roles', context_window_max: '4000' } },
    });
    expect(prompt.status).toBe(200);
    const search = await call(url, 'POST', '/v1/long-term-memory/search', {
      body: { text: 'meeting', limit: '2', hybrid_alpha: '0.5', recency_boost: 'false' },
    });
    expect(search.status).toBe(200);
    expect(search.body.memories).toHaveLength(2);
    const bad = await call(url, 'POST', '/v1/long-term-memory/search', { body: { text: 'meeting', limit: 'two' } });
    expect(bad.status).toBe(422);
    expect(bad.body.detail).toMatch(/limit/);
  });

  it('reads text: null in a search as no text', async () => {
    const res = await call(url, 'POST', '/v1/long-term-memory/search', { body: { text: null, limit: 10 } });
    expect(res.status).toBe(200);
    expect(ids(res.body)).toEqual(['early', 'late', 'middle']);
  });

  it('honours `inclusive` on between, refuses it without between unless it is the default', async () => {
    const between = (inclusive?: string) =>
      call(url, 'POST', '/v1/long-term-memory/search', {
        body: {
          text: '',
          event_date: {
            between: ['2026-01-01T00:00:00Z', '2026-03-01T00:00:00Z'],
            ...(inclusive ? { inclusive } : {}),
          },
        },
      });
    expect(ids((await between()).body)).toEqual(['early', 'late', 'middle']);
    expect(ids((await between('both')).body)).toEqual(['early', 'late', 'middle']);
    expect(ids((await between('neither')).body)).toEqual(['middle']);
    expect(ids((await between('left')).body)).toEqual(['early', 'middle']);
    expect(ids((await between('right')).body)).toEqual(['late', 'middle']);
    const asDefault = await call(url, 'POST', '/v1/long-term-memory/search', {
      body: { text: '', event_date: { gte: '2026-02-01T00:00:00Z', inclusive: 'both' } },
    });
    expect(ids(asDefault.body)).toEqual(['late', 'middle']);
    const alone = await call(url, 'POST', '/v1/long-term-memory/search', {
      body: { text: '', event_date: { gte: '2026-02-01T00:00:00Z', inclusive: 'left' } },
    });
    expect(alone.status).toBe(422);
    expect(alone.body.detail).toMatch(/inclusive says which ends of `between` are included/);
  });

  it('edits with the whole record a GET returned, naming the read-only fields it left alone', async () => {
    const got = await call(url, 'GET', '/v1/long-term-memory/middle');
    const res = await call(url, 'PATCH', '/v1/long-term-memory/middle', {
      body: { ...got.body, text: 'The review meeting moved to late February' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ id: 'middle', text: 'The review meeting moved to late February' });
    expect(res.body.memory_hash).not.toBe(got.body.memory_hash);
    expect(res.headers.get('agent-memory-read-only-fields')).toBe(
      'updated_at, last_accessed, access_count, memory_hash, persisted_at',
    );
    // A search hit carries dist/score too.
    const hit = (await call(url, 'POST', '/v1/long-term-memory/search', { body: { text: 'review meeting' } })).body
      .memories[0];
    expect((await call(url, 'PATCH', '/v1/long-term-memory/middle', { body: { ...hit, pinned: true } })).status).toBe(
      200,
    );

    const moved = await call(url, 'PATCH', '/v1/long-term-memory/middle', {
      body: { ...got.body, created_at: '2020-01-01T00:00:00Z' },
    });
    expect(moved.status).toBe(400);
    expect(moved.body.detail).toMatch(/^created_at: set by the server and cannot be changed by a PATCH/);
    const otherId = await call(url, 'PATCH', '/v1/long-term-memory/middle', { body: { id: 'late', text: 'x' } });
    expect(otherId.status).toBe(400);
    expect(otherId.body.detail).toMatch(/^id: set by the server/);
    const typo = await call(url, 'PATCH', '/v1/long-term-memory/middle', { body: { txet: 'typo' } });
    expect(typo.status).toBe(422);
    const onlyCopy = await call(url, 'PATCH', '/v1/long-term-memory/middle', { body: { access_count: 3 } });
    expect(onlyCopy.status).toBe(400);
    expect(onlyCopy.body.detail).toMatch(/No editable fields/);
  });

  it('deletes nothing, with 200, when DELETE names no ids', async () => {
    const res = await call(url, 'DELETE', '/v1/long-term-memory');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok, deleted 0 memories' });
  });

  it('answers compaction with the reference status line beside our report', async () => {
    const res = await call(url, 'POST', '/v1/long-term-memory/compact');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'ok, 3 memories remaining after compaction', semantic: 'skipped' });
  });

  it('trims a GET of working memory to context_window_max, keeping the newest message', async () => {
    const long = 'word '.repeat(400);
    await call(url, 'PUT', '/v1/working-memory/window', {
      body: {
        messages: [
          { id: 'w1', role: 'user', content: long },
          { id: 'w2', role: 'assistant', content: long },
          { id: 'w3', role: 'user', content: 'short' },
        ],
      },
    });
    const res = await call(url, 'GET', '/v1/working-memory/window?context_window_max=500');
    expect(res.status).toBe(200);
    expect(res.body.messages.map((m: { id: string }) => m.id)).toEqual(['w2', 'w3']);
    expect(res.body.total_messages).toBe(3);
  });

  it('honours the namespace the reference TypeScript client sends beside ids, on create, get and delete', async () => {
    const create = await call(url, 'POST', '/v1/long-term-memory?namespace=team', {
      body: {
        memories: [memory('ns-1', 'The team retro is on Thursdays'), memory('ns-2', 'Solo note', { namespace: 'me' })],
      },
    });
    expect(create.status).toBe(200);
    expect((await call(url, 'GET', '/v1/long-term-memory/ns-1')).body.namespace).toBe('team');
    expect((await call(url, 'GET', '/v1/long-term-memory/ns-2')).body.namespace).toBe('me');
    expect((await call(url, 'GET', '/v1/long-term-memory/ns-1?namespace=team')).status).toBe(200);
    const elsewhere = await call(url, 'GET', '/v1/long-term-memory/ns-1?namespace=other');
    expect(elsewhere.status).toBe(404);
    expect(elsewhere.body.detail).toBe('No long-term memory with id "ns-1" in namespace "other".');
    const del = await call(url, 'DELETE', '/v1/long-term-memory?memory_ids=ns-1&memory_ids=ns-2&namespace=team');
    expect(del.body).toEqual({ status: 'ok, deleted 1 memories' });
    expect((await call(url, 'GET', '/v1/long-term-memory/ns-2')).status).toBe(200);
  });

  it('takes the reference text_scorer when it names BM25, and refuses the scorers it cannot honour', async () => {
    const bm25 = await call(url, 'POST', '/v1/long-term-memory/search', {
      body: { text: 'meeting', search_mode: 'keyword', text_scorer: 'BM25STD' },
    });
    expect(bm25.status).toBe(200);
    const tfidf = await call(url, 'POST', '/v1/long-term-memory/search', {
      body: { text: 'meeting', text_scorer: 'TFIDF' },
    });
    expect(tfidf.status).toBe(422);
    expect(tfidf.body.detail).toMatch(/text_scorer: keyword search here always ranks by BM25/);
  });

  it("takes the session's user and namespace from the PUT query, as the Python client sends them", async () => {
    const put = await call(url, 'PUT', '/v1/working-memory/py-1?user_id=u-py&namespace=py', {
      body: { messages: [{ role: 'user', content: 'hello' }] },
    });
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({ user_id: 'u-py', namespace: 'py' });
    const clash = await call(url, 'PUT', '/v1/working-memory/py-1?user_id=u-py', {
      body: { user_id: 'someone-else', messages: [] },
    });
    expect(clash.status).toBe(400);
    expect(clash.body.detail).toMatch(/user_id: the query says "u-py" and the body "someone-else"/);
    const search = await call(url, 'POST', '/v1/long-term-memory/search', {
      body: { text: 'meeting', server_side_recency: true },
    });
    expect(search.status).toBe(200);
  });
});
