/**
 * The activity stream and memory history over real HTTP with token auth: who did what, paging, filters, the live
 * SSE form with Last-Event-ID, confinement of tokens, forgetting shown in the stream, and the MCP face.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ActivityEvent, MemoryHistory } from '../../src/models/activity.js';
import type { MemoryStats } from '../../src/models/users.js';
import { call, memory, startServer, type TestServer } from './helpers.js';
import { callTool, connectMcp } from './mcp-client.js';

let server: TestServer;
const tok: Record<string, { token: string; id: string }> = {};

beforeAll(async () => {
  server = await startServer({ AUTH_MODE: 'token', RATE_LIMIT_PER_MINUTE: '100000' });
  const add = (name: string, opts: Parameters<NonNullable<TestServer['tokens']>['add']>[0]) => {
    const { token, info } = server.tokens!.add(opts);
    tok[name] = { token, id: info.id };
  };
  add('writeA', { namespace: 'A', access: 'write' });
  add('writeB', { namespace: 'B', access: 'write' });
  add('aliceA', { namespace: 'A', user_id: 'alice', access: 'write' });
  add('admin', { access: 'admin' });
});
afterAll(() => server.stop());

const as = (name: string) => tok[name]!.token;

/** Reads Server-Sent Events until `count` `activity` events arrived; returns them with their ids. */
async function readEvents(path: string, token: string, count: number, headers: Record<string, string> = {}) {
  const abort = new AbortController();
  const res = await fetch(server.url + path, {
    headers: { Authorization: `Bearer ${token}`, ...headers },
    signal: abort.signal,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toContain('text/event-stream');
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const events: { id: string; data: ActivityEvent }[] = [];
  let ready!: () => void;
  const isReady = new Promise<void>((r) => {
    ready = r;
  });
  const done = (async () => {
    while (events.length < count) {
      const { value, done: end } = await reader.read();
      if (end) break;
      buffer += decoder.decode(value, { stream: true });
      let cut = buffer.indexOf('\n\n');
      while (cut >= 0) {
        const frame = buffer.slice(0, cut);
        buffer = buffer.slice(cut + 2);
        const field = (name: string) =>
          frame
            .split('\n')
            .find((l) => l.startsWith(`${name}:`))
            ?.slice(name.length + 1)
            .trim();
        if (field('event') === 'ready') ready();
        if (field('event') === 'activity') events.push({ id: field('id')!, data: JSON.parse(field('data')!) });
        cut = buffer.indexOf('\n\n');
      }
    }
    abort.abort();
    return events;
  })();
  return { isReady, done };
}

describe('the activity stream', () => {
  it('records each write with its actor, ids and counts, newest first, and pages with a cursor', async () => {
    const w = as('writeA');
    await call(server.url, 'POST', '/v1/long-term-memory', {
      token: w,
      body: { memories: [memory('act-1', 'Alpha ships on Fridays'), memory('act-2', 'Alpha meets on Mondays')] },
    });
    await call(server.url, 'PATCH', '/v1/long-term-memory/act-1', {
      token: w,
      body: { text: 'Alpha ships on Thursdays' },
    });
    await call(server.url, 'POST', '/v1/working-memory/s-act/messages', {
      token: w,
      body: {
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'assistant', content: 'hello' },
        ],
      },
    });
    await call(server.url, 'DELETE', '/v1/long-term-memory?memory_ids=act-2', { token: w });

    const page = await call(server.url, 'GET', '/v1/activity?limit=3', { token: w });
    expect(page.status).toBe(200);
    expect(page.body.events.map((e: ActivityEvent) => [e.action, e.target_id])).toEqual([
      ['delete', 'act-2'],
      ['append', 's-act'],
      ['edit', 'act-1'],
    ]);
    for (const e of page.body.events) expect(e.actor).toBe(`token:${tok.writeA!.id}`);
    expect(page.body.events[1].details).toMatchObject({ appended: 2 });
    expect(page.body.events[2].before.text).toBe('Alpha ships on Fridays');
    const next = await call(server.url, 'GET', `/v1/activity?limit=3&cursor=${page.body.next_cursor}`, { token: w });
    expect(next.body.events.map((e: ActivityEvent) => e.action)).toEqual(['create', 'create']);
    expect(next.body.next_cursor).toBeNull();

    const creates = await call(server.url, 'GET', '/v1/activity?action=create,delete&resource=memory', { token: w });
    expect(creates.body.events.map((e: ActivityEvent) => e.action)).toEqual(['delete', 'create', 'create']);
    const since = await call(server.url, 'GET', `/v1/activity?since=${encodeURIComponent(page.body.events[0].at)}`, {
      token: w,
    });
    expect(since.body.events.map((e: ActivityEvent) => e.target_id)).toContain('act-2');
  });

  it('refuses unknown parameters and bad values with a 400 that names them', async () => {
    for (const q of ['action=explode', 'limit=0', 'since=yesterday', 'cursor=abc', 'colour=red']) {
      const res = await call(server.url, 'GET', `/v1/activity?${q}`, { token: as('writeA') });
      expect(res.status, q).toBe(400);
      expect(res.body.detail, q).toMatch(/action|limit|since|cursor|colour/);
    }
  });

  it('shows a token only its namespace and user; naming another is refused', async () => {
    await call(server.url, 'POST', '/v1/long-term-memory', {
      token: as('writeB'),
      body: { memories: [memory('act-b', 'Beta ships on Mondays')] },
    });
    await call(server.url, 'POST', '/v1/long-term-memory', {
      token: as('aliceA'),
      body: { memories: [memory('act-alice', 'Alice likes tea', { user_id: 'alice' })] },
    });
    const a = await call(server.url, 'GET', '/v1/activity?limit=1000', { token: as('writeA') });
    expect(a.body.events.every((e: ActivityEvent) => e.namespace === 'A')).toBe(true);
    expect(a.body.events.map((e: ActivityEvent) => e.target_id)).not.toContain('act-b');
    const alice = await call(server.url, 'GET', '/v1/activity?limit=1000', { token: as('aliceA') });
    expect(alice.body.events.map((e: ActivityEvent) => e.target_id)).toEqual(['act-alice']);
    expect((await call(server.url, 'GET', '/v1/activity?namespace=B', { token: as('writeA') })).status).toBe(403);
    const admin = await call(server.url, 'GET', '/v1/activity?limit=1000', { token: as('admin') });
    expect(admin.body.events.map((e: ActivityEvent) => e.target_id)).toEqual(
      expect.arrayContaining(['act-b', 'act-alice']),
    );
    // History: another namespace's memory has none for this token, as if it did not exist.
    expect((await call(server.url, 'GET', '/v1/long-term-memory/act-b/history', { token: as('writeA') })).status).toBe(
      404,
    );
    const own = await call(server.url, 'GET', '/v1/long-term-memory/act-1/history', { token: as('writeA') });
    expect(own.body.events.map((e: ActivityEvent) => e.action)).toEqual(['create', 'edit']);
  });

  it('streams new events live, and resumes after Last-Event-ID without missing one', async () => {
    const w = as('writeA');
    const live = await readEvents('/v1/activity/stream?resource=session', w, 2);
    await live.isReady;
    await call(server.url, 'PUT', '/v1/working-memory/s-live', { token: w, body: { messages: [] } });
    await call(server.url, 'DELETE', '/v1/working-memory/s-live', { token: w });
    const got = await live.done;
    expect(got.map((e) => [e.data.action, e.data.target_id])).toEqual([
      ['put', 's-live'],
      ['delete', 's-live'],
    ]);
    expect(got[0]!.id).toBe(got[0]!.data.id);

    // Written while no one listened: a client resuming from the last id it saw gets them in order.
    await call(server.url, 'PUT', '/v1/working-memory/s-later', { token: w, body: { messages: [] } });
    await call(server.url, 'POST', '/v1/working-memory/s-later/messages', {
      token: w,
      body: { messages: [{ role: 'user', content: 'back' }] },
    });
    const resumed = await readEvents('/v1/activity/stream?resource=session', w, 2, { 'Last-Event-ID': got[1]!.id });
    expect((await resumed.done).map((e) => e.data.action)).toEqual(['put', 'append']);

    const bad = await call(server.url, 'GET', '/v1/activity/stream', { token: w, headers: { 'Last-Event-ID': 'x' } });
    expect(bad.status).toBe(400);
  });

  it('shows forgetting: a dry run lists and keeps, the real run deletes and the stream says forget', async () => {
    const w = as('writeA');
    const old = new Date(Date.now() - 40 * 86_400_000).toISOString();
    await call(server.url, 'POST', '/v1/long-term-memory', {
      token: w,
      body: {
        memories: [
          memory('old-1', 'An old plan', { created_at: old, last_accessed: old, user_id: 'bob' }),
          memory('old-pinned', 'An old pinned plan', {
            created_at: old,
            last_accessed: old,
            user_id: 'bob',
            pinned: true,
          }),
          memory('new-1', 'A new plan', { user_id: 'bob' }),
        ],
      },
    });
    const body = { policy: { max_age_days: 30 } };
    const dry = await call(server.url, 'POST', '/v1/long-term-memory/forget?user_id=bob', { token: w, body });
    expect(dry.body.deleted_ids).toEqual(['old-1']);
    const none = await call(server.url, 'GET', '/v1/activity?action=forget', { token: w });
    expect(none.body.events).toEqual([]);
    const real = await call(server.url, 'POST', '/v1/long-term-memory/forget?user_id=bob&dry_run=false', {
      token: w,
      body,
    });
    expect(real.body.deleted_ids).toEqual(['old-1']);
    const forgot = await call(server.url, 'GET', '/v1/activity?action=forget', { token: w });
    expect(forgot.body.events.map((e: ActivityEvent) => [e.target_id, e.before?.text])).toEqual([
      ['old-1', 'An old plan'],
    ]);
  });

  it('serves history, statistics and recent activity to MCP clients', async () => {
    const client = await connectMcp(`${server.url}/mcp`, 'http', as('writeA'));
    try {
      const history = await callTool(client, 'get_memory_history', { memory_id: 'act-1' });
      expect(history.isError).toBeFalsy();
      const events = (history.structuredContent as MemoryHistory).events;
      expect(events.map((e: ActivityEvent) => e.action)).toEqual(['create', 'edit']);
      expect(events[1]?.before?.text).toBe('Alpha ships on Fridays');

      await callTool(client, 'create_long_term_memories', { memories: [{ text: 'Alpha likes pizza' }] });
      const recent = await client.readResource({ uri: 'memory://activity' });
      const page = JSON.parse((recent.contents[0] as { text: string }).text);
      expect(page.events[0]).toMatchObject({ action: 'create', namespace: 'A' });
      expect(page.events[0].actor).toBe(`mcp:http-test via token:${tok.writeA!.id}`);

      const stats = await callTool(client, 'memory_stats', {});
      expect(stats.structuredContent).toMatchObject({ namespace: 'A', store: 'sqlite' });
      expect((stats.structuredContent as MemoryStats).long_term_memories).toBeGreaterThan(0);
      expect(Object.keys((stats.structuredContent as MemoryStats).by_namespace)).toEqual(['A']);
      const other = await callTool(client, 'memory_stats', { namespace: 'B' });
      expect(other.isError).toBe(true);
    } finally {
      await client.close();
    }
  });

  it('GET /v1/stats breaks counts down and confines them to the token', async () => {
    const own = await call(server.url, 'GET', '/v1/stats', { token: as('writeA') });
    expect(own.status).toBe(200);
    expect(own.body).toMatchObject({ namespace: 'A', store: 'sqlite' });
    expect(Object.keys(own.body.by_namespace)).toEqual(['A']);
    expect(own.body.by_user).toHaveProperty('alice');
    expect(own.body.working_memory_sessions).toBeGreaterThan(0);
    expect(own.body.storage_bytes).toBeGreaterThan(0);
    const all = await call(server.url, 'GET', '/v1/stats', { token: as('admin') });
    expect(all.body.namespace).toBeNull();
    expect(Object.keys(all.body.by_namespace).sort()).toEqual(['A', 'B']);
    expect((await call(server.url, 'GET', '/v1/stats?namespace=B', { token: as('writeA') })).status).toBe(403);
  });
});
