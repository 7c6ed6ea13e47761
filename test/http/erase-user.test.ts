/**
 * DELETE /v1/users/{id} over real HTTP. On SQLite the whole database file and its write-ahead log are scanned,
 * free pages included, for the erased user's words; on Redis every key and every value of the store.
 */
import { existsSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshPrefix, harness, noRedis } from '../store/redis-helpers.js';
import { call, startServer, type TestServer } from './helpers.js';

/** Words that survive text analysis unchanged, so both the raw text and the index terms would show them. */
const SECRET = 'qzvpassphrase';
const OLD_SECRET = 'qzvoldaddress';
const SESSION_SECRET = 'qzvsessionnote';
const KEPT = 'qzvkeptfact';

let seeded = 0;

async function seed(server: TestServer, longTerm: boolean) {
  const ok = async (res: Promise<{ status: number; body: unknown }>) => {
    const r = await res;
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    return r.body as { status?: string; memories: { id: string }[] };
  };
  if (longTerm) {
    // A search for a text before it is stored caches its vector (a stored memory's vector lives with the memory
    // on SQLite, not in the cache): the erasure must find that cached copy by the memory's text.
    await ok(
      call(server.url, 'POST', '/v1/long-term-memory/search', {
        body: { text: `Gone's passphrase is ${SECRET}`, user_id: { eq: 'gone' } },
      }),
    );
    const created = await ok(
      call(server.url, 'POST', '/v1/long-term-memory/', {
        body: {
          memories: [
            {
              id: `g1-${++seeded}`,
              text: `Gone lives at ${OLD_SECRET} street`,
              user_id: 'gone',
              namespace: 'a',
              topics: [SECRET],
            },
            { id: `g2-${seeded}`, text: `Gone's passphrase is ${SECRET}`, user_id: 'gone', namespace: 'b' },
            { id: `k1-${seeded}`, text: `Kept likes ${KEPT}`, user_id: 'kept', namespace: 'a' },
          ],
        },
      }),
    );
    expect(created.status).toBe('ok');
    // An edit leaves the old text in freed space unless deletes overwrite it.
    const list = await ok(call(server.url, 'GET', '/v1/long-term-memory?user_id=gone&namespace=a'));
    const id = list.memories[0]!.id;
    await ok(call(server.url, 'PATCH', `/v1/long-term-memory/${id}`, { body: { text: 'Gone moved away' } }));
  }
  for (const [ns, id] of [
    ['a', 'gone-1'],
    ['b', 'gone-2'],
  ]) {
    await ok(
      call(server.url, 'PUT', `/v1/working-memory/${id}?namespace=${ns}&user_id=gone`, {
        body: {
          namespace: ns,
          user_id: 'gone',
          context: `summary mentioning ${SESSION_SECRET}`,
          messages: [{ role: 'user', content: `remember ${SESSION_SECRET} for me` }],
        },
      }),
    );
  }
  await ok(
    call(server.url, 'PUT', '/v1/working-memory/kept-1?namespace=a&user_id=kept', {
      body: { namespace: 'a', user_id: 'kept', messages: [{ role: 'user', content: `note ${KEPT}` }] },
    }),
  );
}

describe('erasing a user (sqlite file)', () => {
  let server: TestServer;
  beforeAll(async () => {
    // Uncompressed, so that the scan below sees every copy of a word (a compressed activity body hides its words
    // from it; erasure deletes those rows the same way).
    server = await startServer({ AUTH_MODE: 'disabled', SQLITE_COMPRESS: 'false' });
  });
  afterAll(() => server?.stop());

  const fileBytes = () =>
    Buffer.concat(
      [server.dbPath, `${server.dbPath}-wal`].filter((p) => existsSync(p)).map((p) => readFileSync(p)),
    ).toString('latin1');

  it('leaves none of their words anywhere in the database file or its log, free pages included', async () => {
    await seed(server, true);
    const before = fileBytes();
    for (const word of [SECRET, OLD_SECRET, SESSION_SECRET, KEPT]) expect(before, word).toContain(word);

    const res = await call(server.url, 'DELETE', '/v1/users/gone');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ user_id: 'gone', namespace: null, memories: 2, sessions: 2 });
    expect(res.body.activity_events).toBeGreaterThanOrEqual(5);
    expect(res.body.cached_embeddings).toBeGreaterThanOrEqual(1);

    const after = fileBytes();
    for (const word of [SECRET, OLD_SECRET, SESSION_SECRET]) expect(after, word).not.toContain(word);
    // The scan does read live data: the other user's words are still there.
    expect(after).toContain(KEPT);
    const list = await call(server.url, 'GET', '/v1/long-term-memory?user_id=gone');
    expect(list.body.total).toBe(0);
    expect((await call(server.url, 'GET', '/v1/working-memory/gone-1?namespace=a&user_id=gone')).status).toBe(404);
    expect((await call(server.url, 'GET', '/v1/working-memory/kept-1?namespace=a&user_id=kept')).status).toBe(200);
    // One event records the erasure, with counts and no text.
    const activity = await call(server.url, 'GET', '/v1/activity?action=erase');
    expect(activity.body.events).toHaveLength(1);
    expect(activity.body.events[0]).toMatchObject({ resource: 'user', target_id: 'gone', user_id: null });
    expect(JSON.stringify(activity.body)).not.toContain(SESSION_SECRET);
  });

  it('erases in one namespace only when asked, and refuses a bad id', async () => {
    await seed(server, true);
    const res = await call(server.url, 'DELETE', '/v1/users/gone?namespace=b');
    expect(res.body).toMatchObject({ namespace: 'b', memories: 1, sessions: 1 });
    expect((await call(server.url, 'GET', '/v1/long-term-memory?user_id=gone')).body.total).toBe(1);
    const bad = await call(server.url, 'DELETE', `/v1/users/${'x'.repeat(300)}`);
    expect(bad.status).toBe(422);
  });
});

describe.skipIf(noRedis !== null)(`erasing a user (redis)${noRedis ? `: skipped, ${noRedis}` : ''}`, () => {
  let server: TestServer;
  const prefix = freshPrefix();
  beforeAll(async () => {
    server = await startServer({
      AUTH_MODE: 'disabled',
      MEMORY_BACKEND: 'redis',
      REDIS_URL: harness!.url,
      REDIS_KEY_PREFIX: prefix,
      REDIS_REQUIRE_SEARCH: String(harness!.hasSearch),
      LONG_TERM_MEMORY: 'false',
    });
  });
  afterAll(() => server?.stop());

  /** Every key of this store with every value it holds, whatever its type. */
  async function everything(): Promise<string> {
    const { Redis } = await import('ioredis');
    const r = new Redis(harness!.url);
    try {
      const keys = await r.keys(`{${prefix}}:*`);
      const parts: string[] = [...keys];
      for (const k of keys) {
        const type = await r.type(k);
        if (type === 'string') parts.push((await r.getBuffer(k))?.toString('latin1') ?? '');
        else if (type === 'hash') parts.push(...Object.entries(await r.hgetall(k)).flat());
        else if (type === 'list') parts.push(...(await r.lrange(k, 0, -1)));
        else if (type === 'set') parts.push(...(await r.smembers(k)));
        else if (type === 'zset') parts.push(...(await r.zrange(k, '0', '-1')));
        else parts.push(`<${type}>`);
      }
      return parts.join('\n');
    } finally {
      r.disconnect();
    }
  }

  it('leaves no key or value holding their words', async () => {
    await seed(server, harness!.hasSearch);
    const before = await everything();
    expect(before).toContain(SESSION_SECRET);
    expect(before).toContain('gone');
    const res = await call(server.url, 'DELETE', '/v1/users/gone');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ sessions: 2 });
    const after = await everything();
    for (const word of [SECRET, OLD_SECRET, SESSION_SECRET]) expect(after, word).not.toContain(word);
    expect(after).toContain(KEPT);
  });
});
