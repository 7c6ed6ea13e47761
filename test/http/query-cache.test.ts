import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, memory, startServer, type TestServer } from './helpers.js';

let server: TestServer;
let url: string;
const tok = { admin: '', adminA: '', writeA: '' };

beforeAll(async () => {
  server = await startServer({
    AUTH_MODE: 'token',
    RATE_LIMIT_PER_MINUTE: '100000',
    EMBEDDING_MODEL: 'offline-hash-v1',
    RELATED_WORDS: 'false',
  });
  url = server.url;
  tok.admin = server.tokens!.add({ access: 'admin' }).token;
  tok.adminA = server.tokens!.add({ namespace: 'A', access: 'admin' }).token;
  tok.writeA = server.tokens!.add({ namespace: 'A', access: 'write' }).token;
  await call(url, 'POST', '/v1/long-term-memory', {
    token: tok.admin,
    body: { memories: [memory('m1', 'the blue kettle is in the kitchen', { namespace: 'A' })] },
  });
});
afterAll(() => server.stop());

const search = (token: string) =>
  call(url, 'POST', '/v1/long-term-memory/search', { token, body: { text: 'blue kettle', search_mode: 'keyword' } });

describe('/v1/query-cache', () => {
  it('reports hits, clears, and takes a new TTL; a write still invalidates', async () => {
    await call(url, 'DELETE', '/v1/query-cache', { token: tok.admin });
    expect((await search(tok.writeA)).body.memories.map((m: { id: string }) => m.id)).toEqual(['m1']);
    expect((await search(tok.writeA)).status).toBe(200);
    let stats = await call(url, 'GET', '/v1/query-cache', { token: tok.admin });
    expect(stats.status).toBe(200);
    expect(stats.body).toMatchObject({ enabled: true, ttl_seconds: 60, max_entries: 1000, entries: 1 });
    expect(stats.body.hits).toBeGreaterThanOrEqual(1);

    const cleared = await call(url, 'DELETE', '/v1/query-cache', { token: tok.admin });
    expect(cleared.body).toEqual({ status: 'ok, cleared 1 cached answer', cleared: 1 });
    expect((await call(url, 'GET', '/v1/query-cache', { token: tok.admin })).body.entries).toBe(0);

    const set = await call(url, 'PUT', '/v1/query-cache', { token: tok.admin, body: { ttl_seconds: 5 } });
    expect(set.status).toBe(200);
    expect(set.body).toMatchObject({ enabled: true, ttl_seconds: 5 });

    await search(tok.writeA);
    await call(url, 'POST', '/v1/long-term-memory', {
      token: tok.writeA,
      body: { memories: [memory('m2', 'a blue kettle on the stove')] },
    });
    expect((await search(tok.writeA)).body.memories.map((m: { id: string }) => m.id).sort()).toEqual(['m1', 'm2']);

    const off = await call(url, 'PUT', '/v1/query-cache', { token: tok.admin, body: { ttl_seconds: 0 } });
    expect(off.body).toMatchObject({ enabled: false, ttl_seconds: 0, entries: 0 });
    const misses = off.body.misses;
    await search(tok.writeA);
    stats = await call(url, 'GET', '/v1/query-cache', { token: tok.admin });
    expect(stats.body).toMatchObject({ entries: 0, misses });
    await call(url, 'PUT', '/v1/query-cache', { token: tok.admin, body: { ttl_seconds: 60 } });
  });

  it('answers 422 naming the problem for a bad TTL body', async () => {
    const cases: [unknown, RegExp][] = [
      [{ ttl_seconds: -1 }, /ttl_seconds: must be 0 \(off\) or more/],
      [{ ttl_seconds: 1.5 }, /ttl_seconds: expected a whole number of seconds/],
      [{ ttl_seconds: 86_401 }, /ttl_seconds: must be at most 86400/],
      [{ ttl_seconds: '60' }, /ttl_seconds: expected a whole number of seconds/],
      [{}, /ttl_seconds/],
      [{ ttl_seconds: 5, ttl: 5 }, /ttl/],
    ];
    for (const [body, message] of cases) {
      const r = await call(url, 'PUT', '/v1/query-cache', { token: tok.admin, body });
      expect(r.status, JSON.stringify(body)).toBe(422);
      expect(r.body.detail, JSON.stringify(body)).toMatch(message);
    }
    const raw = await call(url, 'PUT', '/v1/query-cache', { token: tok.admin, raw: 'not json' });
    expect(raw.status).toBeGreaterThanOrEqual(400);
    expect(raw.status).toBeLessThan(500);
    expect((await call(url, 'GET', '/v1/query-cache', { token: tok.admin })).body.ttl_seconds).toBe(60);
  });

  it('is only for admin tokens not confined to a namespace', async () => {
    for (const token of [tok.writeA, tok.adminA]) {
      for (const [method, body] of [
        ['GET', undefined],
        ['DELETE', undefined],
        ['PUT', { ttl_seconds: 1 }],
      ] as const) {
        const r = await call(url, method, '/v1/query-cache', { token, body });
        expect(r.status, `${method}`).toBe(403);
        expect(r.body.detail).toMatch(/admin token that is not confined/);
      }
    }
    expect((await call(url, 'GET', '/v1/query-cache')).status).toBe(401);
  });

  it('shows in /metrics', async () => {
    const r = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${tok.admin}` } });
    const text = await r.text();
    expect(text).toMatch(/^agent_memory_query_cache_hits \d+$/m);
    expect(text).toMatch(/^agent_memory_query_cache_entries \d+$/m);
  });
});
