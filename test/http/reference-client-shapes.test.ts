import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers.js';

/**
 * Replays, request by request, what the reference server's TypeScript client (agent-memory-client 0.3.2) sends for
 * each of its public methods: its URL building (trailing slashes, `?k=v` with undefined values left out and arrays
 * repeated), its headers, its JSON bodies (filter classes serialised by their toJSON). Written from that client's
 * source as facts; the client itself is not part of this repository.
 */
let server: TestServer;

beforeAll(async () => {
  server = await startServer();
});
afterAll(() => server.stop());

type Params = Record<string, string | number | boolean | string[] | undefined>;

async function send(method: string, path: string, opts: { params?: Params; body?: unknown } = {}) {
  const url = new URL(path, server.url);
  for (const [key, value] of Object.entries(opts.params ?? {})) {
    if (value === undefined) continue;
    if (Array.isArray(value)) for (const item of value) url.searchParams.append(key, String(item));
    else url.searchParams.set(key, String(value));
  }
  const res = await fetch(url, {
    method,
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': 'agent-memory-client-js/0.3.2',
      'X-Client-Version': '0.3.2',
    },
    body: opts.body ? JSON.stringify(opts.body) : undefined,
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> & { detail?: string } };
}

const NS = 'client-ns';

describe("the reference TypeScript client's requests, method by method", () => {
  it('healthCheck, putWorkingMemory, getWorkingMemory, getOrCreateWorkingMemory, listSessions, deleteWorkingMemory', async () => {
    expect((await send('GET', '/v1/health')).body.now).toEqual(expect.any(Number));
    const put = await send('PUT', '/v1/working-memory/trip', {
      body: {
        session_id: 'trip',
        messages: [{ role: 'user', content: 'We fly to Lisbon on 3 June' }],
        memories: [],
        namespace: NS,
      },
      params: { model_name: undefined, context_window_max: undefined, background: undefined },
    });
    expect(put.status).toBe(200);
    const get = await send('GET', '/v1/working-memory/trip', {
      params: { namespace: NS, user_id: undefined, model_name: 'gpt-4o', context_window_max: 4000 },
    });
    expect(get.status).toBe(200);
    expect(get.body.context_percentage_total_used).toEqual(expect.any(Number));
    // getOrCreateWorkingMemory: a 404 (which the client turns into null), then a PUT of an empty session.
    expect((await send('GET', '/v1/working-memory/fresh', { params: { namespace: NS } })).status).toBe(404);
    const created = await send('PUT', '/v1/working-memory/fresh', {
      body: { session_id: 'fresh', namespace: NS, messages: [], memories: [], ttl_seconds: 600 },
    });
    expect(created.body).toMatchObject({ session_id: 'fresh', ttl_seconds: 600, namespace: NS });
    const list = await send('GET', '/v1/working-memory/', { params: { namespace: NS, limit: 10, offset: 0 } });
    expect(list.body).toMatchObject({ sessions: expect.arrayContaining(['trip', 'fresh']), total: 2 });
    const bg = await send('PUT', '/v1/working-memory/fresh', {
      body: { session_id: 'fresh', namespace: NS, messages: [] },
      params: { background: true },
    });
    expect(bg.status).toBe(422);
    expect(bg.body.detail).toMatch(/background=true is not supported: summarization runs within the PUT/);
    const del = await send('DELETE', '/v1/working-memory/fresh', { params: { namespace: NS } });
    expect(del.body).toEqual({ status: 'ok' });
  });

  it('createLongTermMemory, searchLongTermMemory with filter objects and recency, getLongTermMemory', async () => {
    const create = await send('POST', '/v1/long-term-memory/', {
      body: {
        memories: [
          { id: 'c-1', text: 'Ana prefers window seats', topics: ['travel'], entities: ['Ana'], session_id: 'trip' },
          { id: 'c-2', text: 'Ana is vegetarian', topics: ['food'], entities: ['Ana'] },
        ],
      },
      params: { namespace: NS },
    });
    expect(create.status).toBe(200);
    expect(create.body.status).toBe('ok');
    const search = await send('POST', '/v1/long-term-memory/search', {
      body: {
        text: 'Where does Ana like to sit?',
        search_mode: 'semantic',
        limit: 5,
        offset: 0,
        namespace: { eq: NS },
        topics: { any: ['travel', 'food'] },
        created_at: { gte: '2000-01-01T00:00:00.000Z', lte: '2999-01-01T00:00:00.000Z' },
        recency_boost: true,
        recency_semantic_weight: 0.8,
        recency_recency_weight: 0.2,
      },
    });
    expect(search.status).toBe(200);
    expect((search.body.memories as { id: string }[])[0]?.id).toBe('c-1');
    const hybrid = await send('POST', '/v1/long-term-memory/search', {
      body: {
        text: 'vegetarian',
        search_mode: 'hybrid',
        hybrid_alpha: 0.5,
        limit: 2,
        offset: 0,
        session_id: { eq: 'x' },
      },
    });
    expect(hybrid.body).toMatchObject({ memories: [], total: 0 });
    const got = await send('GET', '/v1/long-term-memory/c-1', { params: { namespace: NS } });
    expect(got.body).toMatchObject({ id: 'c-1', namespace: NS });
  });

  it('editLongTermMemory, memoryPrompt, forgetLongTermMemories, deleteLongTermMemories, getTask', async () => {
    const edit = await send('PATCH', '/v1/long-term-memory/c-2', { body: { text: 'Ana is vegan', topics: ['food'] } });
    expect(edit.body).toMatchObject({ id: 'c-2', text: 'Ana is vegan' });
    const prompt = await send('POST', '/v1/memory/prompt', {
      body: {
        query: 'What should we order for Ana?',
        session: { session_id: 'trip', namespace: NS, model_name: 'gpt-4o' },
        long_term_search: { text: 'Ana food', namespace: { eq: NS }, limit: 3 },
      },
    });
    expect(prompt.status).toBe(200);
    expect(JSON.stringify(prompt.body.messages)).toContain('Ana is vegan');
    const forget = await send('POST', '/v1/long-term-memory/forget', {
      params: { namespace: NS, user_id: undefined, session_id: undefined, limit: 100, dry_run: true },
      body: { policy: { max_age_days: 30, max_inactive_days: null, budget: null } },
    });
    expect(forget.body).toMatchObject({ dry_run: true, deleted: 0 });
    const del = await send('DELETE', '/v1/long-term-memory', { params: { memory_ids: ['c-1', 'c-2'], namespace: NS } });
    expect(del.body).toEqual({ status: 'ok, deleted 2 memories' });
    // getTask turns a 404 into null.
    expect((await send('GET', '/v1/tasks/not-a-task')).status).toBe(404);
  });
});
