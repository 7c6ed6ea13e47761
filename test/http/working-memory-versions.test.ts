/**
 * Working-memory versions over real HTTP: every write bumps `version`, reads and writes return it as an ETag, and
 * a PUT with If-Match / If-None-Match is checked atomically by the store (SQLite file and Redis).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPrefix, harness, noRedis } from '../store/redis-helpers.js';
import { call, startServer, type TestServer } from './helpers.js';

describe('working-memory versions (sqlite file)', () => versionBehaviour(() => ({})));
describe.skipIf(noRedis !== null)(`working-memory versions (redis)${noRedis ? `: skipped, ${noRedis}` : ''}`, () =>
  versionBehaviour(() => ({
    MEMORY_BACKEND: 'redis',
    REDIS_URL: harness!.url,
    REDIS_KEY_PREFIX: freshPrefix(),
    REDIS_REQUIRE_SEARCH: 'false',
    LONG_TERM_MEMORY: 'false',
  })),
);

function versionBehaviour(env: () => Record<string, string>) {
  let server: TestServer;
  let n = 0;
  const session = () => `versions-${++n}`;
  const body = (content: string) => ({ messages: [{ role: 'user', content }] });
  const put = (id: string, content: string, headers: Record<string, string> = {}) =>
    call(server.url, 'PUT', `/v1/working-memory/${id}`, { body: body(content), headers });

  beforeAll(async () => {
    server = await startServer({ AUTH_MODE: 'disabled', ...env() });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it('returns the version as an ETag on GET, PUT and append, and bumps it on every write', async () => {
    const id = session();
    const first = await put(id, 'one');
    expect(first.status).toBe(200);
    expect(first.headers.get('etag')).toBe(`"${first.body.version}"`);
    const appended = await call(server.url, 'POST', `/v1/working-memory/${id}/messages`, {
      body: { messages: [{ role: 'assistant', content: 'two' }] },
    });
    expect(appended.body.version).toBe(first.body.version + 1);
    expect(appended.headers.get('etag')).toBe(`"${appended.body.version}"`);
    const read = await call(server.url, 'GET', `/v1/working-memory/${id}`);
    expect(read.headers.get('etag')).toBe(`"${appended.body.version}"`);
    expect(read.body.messages.map((m: { content: string }) => m.content)).toEqual(['one', 'two']);
  });

  it('lets exactly one of 16 concurrent PUTs with the same If-Match through; the others get 412', async () => {
    const id = session();
    const etag = (await put(id, 'start')).headers.get('etag')!;
    const results = await Promise.all(
      Array.from({ length: 16 }, (_, i) => put(id, `writer ${i}`, { 'If-Match': etag })),
    );
    const ok = results.filter((r) => r.status === 200);
    expect(ok).toHaveLength(1);
    expect(results.filter((r) => r.status === 412)).toHaveLength(15);
    for (const r of results.filter((r) => r.status === 412)) expect(r.body.detail).toMatch(/read it again/);
    const read = await call(server.url, 'GET', `/v1/working-memory/${id}`);
    expect(read.body.messages.map((m: { content: string }) => m.content)).toEqual([ok[0]!.body.messages[0].content]);
    expect(read.headers.get('etag')).toBe(ok[0]!.headers.get('etag'));
  });

  it('If-None-Match: * creates only; If-Match: * requires the session to exist', async () => {
    const id = session();
    expect((await put(id, 'x', { 'If-Match': '*' })).status).toBe(412);
    expect((await put(id, 'created', { 'If-None-Match': '*' })).status).toBe(200);
    const again = await put(id, 'again', { 'If-None-Match': '*' });
    expect(again.status).toBe(412);
    expect((await put(id, 'overwrite', { 'If-Match': '*' })).status).toBe(200);
    const read = await call(server.url, 'GET', `/v1/working-memory/${id}`);
    expect(read.body.messages[0].content).toBe('overwrite');
  });

  it('keeps the body `version` check as a 409, and refuses malformed or contradicting preconditions with 400', async () => {
    const id = session();
    const v = (await put(id, 'a')).body.version as number;
    const stale = await call(server.url, 'PUT', `/v1/working-memory/${id}`, { body: { ...body('b'), version: v - 1 } });
    expect(stale.status).toBe(409);
    for (const bad of ['W/"1"', '1', '"1", "2"', '"x"']) {
      const r = await put(id, 'c', { 'If-Match': bad });
      expect(r.status, bad).toBe(400);
      expect(r.body.detail).toMatch(/If-Match must be \* or one ETag/);
    }
    const both = await call(server.url, 'PUT', `/v1/working-memory/${id}`, {
      body: { ...body('d'), version: v },
      headers: { 'If-Match': `"${v + 5}"` },
    });
    expect(both.status).toBe(400);
    expect((await put(id, 'e', { 'If-None-Match': `"${v}"` })).status).toBe(400);
    expect((await put(id, 'f', { 'If-Match': `"${v}"`, 'If-None-Match': '*' })).status).toBe(400);
    // Nothing of the refused writes landed.
    expect((await call(server.url, 'GET', `/v1/working-memory/${id}`)).body.messages[0].content).toBe('a');
  });
}
