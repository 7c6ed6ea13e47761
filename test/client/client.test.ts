/**
 * The TypeScript client against a real server on loopback: every area of the REST API, the ETag and append
 * flows, paging, typed errors, and retries (against a local stand-in that answers 429/503 on cue).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  MemoryAuthError,
  MemoryClient,
  MemoryConnectionError,
  MemoryNotFoundError,
  MemoryPreconditionError,
  MemoryRateLimitError,
  MemoryUnavailableError,
  MemoryValidationError,
} from '../../src/client/index.js';
import { startServer, type TestServer } from '../http/helpers.js';

let server: TestServer;
let authServer: TestServer;
let client: MemoryClient;

beforeAll(async () => {
  const env = { EMBEDDING_MODEL: 'offline-hash-v1', RATE_LIMIT_PER_MINUTE: '100000' };
  [server, authServer] = await Promise.all([startServer(env), startServer({ ...env, AUTH_MODE: 'token' })]);
  client = new MemoryClient({ baseUrl: server.url, namespace: 'client-test', userId: 'alice' });
});
afterAll(async () => {
  await Promise.all([server?.stop(), authServer?.stop()]);
});

const collect = async <T>(it: AsyncIterable<T>) => {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
};

describe('options', () => {
  it('refuses bad options with the option named', () => {
    expect(() => new MemoryClient({ baseUrl: 'not a url' })).toThrow(/baseUrl/);
    expect(() => new MemoryClient({ baseUrl: 'http://x', retries: -1 })).toThrow(/retries/);
    expect(() => new MemoryClient({ baseUrl: 'http://x', bogus: 1 } as never)).toThrow(/bogus|Unrecognized/);
  });

  it('accepts a base URL ending in /v1', async () => {
    const c = new MemoryClient({ baseUrl: `${server.url}/v1/` });
    expect((await c.health()).now).toBeGreaterThan(0);
  });
});

describe('long-term memory', () => {
  it('creates with ids and the client scope, finds, edits, deletes, and keeps the history', async () => {
    const created = await client.longTerm.create([
      { text: 'Alice prefers window seats on long flights', topics: ['travel'] },
      { text: 'Alice is allergic to peanuts' },
    ]);
    expect(created.created).toBe(2);
    const [first, second] = created.memories.map((m) => m.id);
    const record = await client.longTerm.get(first!);
    expect(record).toMatchObject({ namespace: 'client-test', user_id: 'alice', topics: ['travel'] });

    const found = await client.longTerm.search({ text: 'window seat flights', limit: 1 });
    expect(found.memories[0]?.id).toBe(first);
    // Another user of the same namespace sees none of Alice's memories.
    const bob = client.withScope({ userId: 'bob' });
    expect((await bob.longTerm.search({ text: 'window seat flights' })).memories).toHaveLength(0);
    // null lifts the default.
    expect((await bob.longTerm.search({ text: 'peanuts', user_id: null })).total).toBeGreaterThan(0);

    const edited = await client.longTerm.edit(first!, { text: 'Alice prefers aisle seats on long flights' });
    expect(edited.text).toMatch(/aisle/);
    const history = await client.longTerm.history(first!);
    expect(history.events.map((e) => e.action)).toEqual(['create', 'edit']);

    expect(await client.longTerm.delete([second!, 'no-such-id'])).toEqual({ deleted: 1 });
    await expect(client.longTerm.get(second!)).rejects.toBeInstanceOf(MemoryNotFoundError);
  });

  it('pages through searches and lists with iterators', async () => {
    const c = client.withScope({ userId: 'pager' });
    await c.longTerm.create(Array.from({ length: 23 }, (_, i) => ({ text: `Pager note number ${i} about gardening` })));
    const hits = await collect(c.longTerm.iterateSearch({ text: 'gardening note' }, { pageSize: 5 }));
    expect(hits).toHaveLength(23);
    expect(new Set(hits.map((h) => h.id)).size).toBe(23);
    const listed = await collect(c.longTerm.iterate({ pageSize: 10 }));
    expect(listed).toHaveLength(23);
    const page = await c.longTerm.list({ limit: 20 });
    expect(page).toMatchObject({ total: 23, next_offset: 20 });
  });

  it('compacts and forgets in the client scope', async () => {
    const c = client.withScope({ userId: 'dup' });
    await c.longTerm.create([{ text: 'Duplicated fact' }, { text: 'Duplicated fact' }], { deduplicate: false });
    const report = await c.longTerm.compact();
    expect(report.duplicates_removed).toBe(1);
    const forget = await c.longTerm.forget({ policy: { budget: 0 } });
    expect(forget).toMatchObject({ dry_run: true, deleted: 1 });
  });
});

describe('working memory', () => {
  it('appends atomically and idempotently, returning the ETag', async () => {
    const id = `s-${Date.now()}`;
    const a = await client.workingMemory.append(id, [{ role: 'user', content: 'hello', id: 'm1' }]);
    expect(a).toMatchObject({ appended: 1, total_messages: 1, etag: `"${a.version}"` });
    const again = await client.workingMemory.append(id, [
      { role: 'user', content: 'hello', id: 'm1' },
      { role: 'assistant', content: 'hi there' },
    ]);
    expect(again.appended).toBe(1);
    const wm = await client.workingMemory.get(id);
    expect(wm.messages.map((m) => m.content)).toEqual(['hello', 'hi there']);
    expect(wm).toMatchObject({ namespace: 'client-test', user_id: 'alice', etag: `"${wm.version}"` });
    expect(await collect(client.workingMemory.iterate({ pageSize: 1 }))).toContain(id);
  });

  it('refuses a PUT carrying a stale ETag, and update() merges instead of losing the other write', async () => {
    const id = `etag-${Date.now()}`;
    const created = await client.workingMemory.create(id, { data: { count: 0 } });
    await expect(client.workingMemory.create(id, { data: {} })).rejects.toBeInstanceOf(MemoryPreconditionError);

    await client.workingMemory.append(id, [{ role: 'user', content: 'written by someone else' }]);
    await expect(
      client.workingMemory.put(id, { ...created, data: { count: 1 } }, { ifMatch: created.etag }),
    ).rejects.toBeInstanceOf(MemoryPreconditionError);

    let rounds = 0;
    const updated = await client.workingMemory.update(id, async (current) => {
      rounds++;
      // The first round loses a race to another appender: update() must read again and redo the change.
      if (rounds === 1) await client.workingMemory.append(id, [{ role: 'user', content: 'a racing append' }]);
      const count = Number(current?.data.count ?? 0) + 1;
      return { ...current, data: { ...current?.data, count } };
    });
    expect(rounds).toBe(2);
    expect(updated.data.count).toBe(1);
    expect(updated.messages.map((m) => m.content)).toEqual(['written by someone else', 'a racing append']);
  });

  it('forks, deletes, and reports a missing session as null from find()', async () => {
    const id = `fork-${Date.now()}`;
    await client.workingMemory.append(id, [{ role: 'user', content: 'one' }]);
    const fork = await client.workingMemory.fork(id, { new_session_id: `${id}-b` });
    expect(fork.messages).toHaveLength(1);
    await client.workingMemory.delete(id);
    expect(await client.workingMemory.find(id)).toBeNull();
    await expect(client.workingMemory.get(id)).rejects.toBeInstanceOf(MemoryNotFoundError);
    expect((await client.workingMemory.list()).sessions).toContain(`${id}-b`);
  });
});

describe('prompt, activity, views, tasks, stats, users', () => {
  it('builds a memory prompt in the client scope', async () => {
    const c = client.withScope({ userId: 'prompted' });
    await c.longTerm.create([{ text: 'Prompted user loves sailing in Greece' }]);
    await c.workingMemory.append('p1', [{ role: 'user', content: 'we talked about boats' }]);
    const res = await c.memoryPrompt({
      query: 'Where do I like sailing?',
      session: { session_id: 'p1' },
      long_term_search: { limit: 3 },
    });
    expect(res.messages.at(-1)?.content.text).toBe('Where do I like sailing?');
    expect(res.long_term_memories?.[0]?.text).toMatch(/Greece/);
    expect(res.messages.some((m) => m.content.text === 'we talked about boats')).toBe(true);
  });

  it('pages the activity stream and follows it live', async () => {
    const c = client.withScope({ userId: 'watcher' });
    const abort = new AbortController();
    const seen: string[] = [];
    const following = (async () => {
      for await (const e of c.activity.follow({}, { signal: abort.signal })) {
        seen.push(`${e.action}:${e.target_id}`);
        if (seen.length === 1) abort.abort();
      }
    })();
    // The stream sends nothing before it is open: write until the follower has seen an event.
    for (let i = 0; !seen.length && i < 200; i++) {
      await c.longTerm.create([{ id: `live-${i}`, text: `live event ${i}` }]);
      await new Promise((r) => setTimeout(r, 25));
    }
    await following;
    expect(seen[0]).toMatch(/^create:live-/);
    await c.longTerm.create([{ text: 'one more' }, { text: 'and another' }, { text: 'and a third' }]);
    const events = await collect(c.activity.iterate({ limit: 2, resource: 'memory' }));
    expect(events.length).toBeGreaterThanOrEqual(4);
    expect(events.every((e) => e.user_id === 'watcher')).toBe(true);
  });

  it('manages summary views and reports what needs an LLM as unavailable', async () => {
    const c = new MemoryClient({ baseUrl: server.url, retries: 0 });
    const view = await c.summaryViews.create({ source: 'long_term', group_by: ['user_id'], name: 'by user' });
    expect((await c.summaryViews.list()).map((v) => v.id)).toContain(view.id);
    expect((await c.summaryViews.get(view.id)).name).toBe('by user');
    await expect(c.summaryViews.runPartition(view.id, { user_id: 'alice' })).rejects.toBeInstanceOf(
      MemoryUnavailableError,
    );
    expect(await c.summaryViews.partitions(view.id)).toEqual([]);
    await c.summaryViews.delete(view.id);
    await expect(c.summaryViews.get(view.id)).rejects.toBeInstanceOf(MemoryNotFoundError);
    await expect(c.tasks.get('no-such-task')).rejects.toBeInstanceOf(MemoryNotFoundError);
  });

  it('counts, and erases a user', async () => {
    const c = client.withScope({ userId: 'leaving' });
    await c.longTerm.create([{ text: 'Leaving user data' }]);
    expect((await c.stats()).long_term_memories).toBe(1);
    const report = await c.eraseUser('leaving');
    expect(report.memories).toBe(1);
    expect((await c.stats()).long_term_memories).toBe(0);
  });
});

describe('errors and retries', () => {
  it('throws typed errors carrying the server detail', async () => {
    const err = await client.longTerm.create([{ text: '' }]).catch((e) => e);
    expect(err).toBeInstanceOf(MemoryValidationError);
    expect(err.status).toBe(422);
    expect(err.detail).toMatch(/text must not be empty/);

    const anonymous = new MemoryClient({ baseUrl: authServer.url });
    const denied = await anonymous.longTerm.search({ text: 'x' }).catch((e) => e);
    expect(denied).toBeInstanceOf(MemoryAuthError);
    expect(denied.kind).toBe('unauthorized');
    const token = authServer.tokens!.add({ namespace: 'team', access: 'read' }).token;
    const reader = new MemoryClient({ baseUrl: authServer.url, token });
    expect((await reader.longTerm.search({ text: 'x' })).total).toBe(0);
    expect((await reader.longTerm.create([{ text: 'nope' }]).catch((e) => e)).kind).toBe('forbidden');
  });

  describe('against a stand-in that refuses on cue', () => {
    let stub: Server;
    let url = '';
    const script: { status: number; headers?: Record<string, string> }[] = [];
    const hits: string[] = [];
    beforeAll(async () => {
      stub = createServer((req, res) => {
        hits.push(`${req.method} ${req.url}`);
        const next = script.shift() ?? { status: 200 };
        const body = next.status === 200 ? { now: 1 } : { detail: `scripted ${next.status}` };
        res.writeHead(next.status, { 'content-type': 'application/json', ...next.headers }).end(JSON.stringify(body));
      });
      await new Promise<void>((r) => stub.listen(0, '127.0.0.1', r));
      url = `http://127.0.0.1:${(stub.address() as AddressInfo).port}`;
    });
    afterAll(() => new Promise((r) => stub.close(r)));
    const fresh = () => {
      script.length = 0;
      hits.length = 0;
    };

    it('retries 429 and 503 with backoff, honouring Retry-After', async () => {
      fresh();
      script.push({ status: 503 }, { status: 429, headers: { 'retry-after': '0.05' } });
      const c = new MemoryClient({ baseUrl: url, retryBaseMs: 1 });
      const started = Date.now();
      expect(await c.health()).toEqual({ now: 1 });
      expect(hits).toHaveLength(3);
      expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    });

    it('gives up after `retries`, with the last error', async () => {
      fresh();
      script.push({ status: 429 }, { status: 429 }, { status: 429 });
      const c = new MemoryClient({ baseUrl: url, retries: 2, retryBaseMs: 1 });
      await expect(c.health()).rejects.toBeInstanceOf(MemoryRateLimitError);
      expect(hits).toHaveLength(3);
    });

    it('does not repeat a non-idempotent request after a 503 (it may have run)', async () => {
      fresh();
      script.push({ status: 503 });
      const c = new MemoryClient({ baseUrl: url, retryBaseMs: 1 });
      await expect(c.summaryViews.create({ source: 'long_term' })).rejects.toBeInstanceOf(MemoryUnavailableError);
      expect(hits).toHaveLength(1);
    });

    it('reports an unreachable server as a connection error after retrying', async () => {
      const port = (stub.address() as AddressInfo).port;
      const dead = createServer();
      await new Promise<void>((r) => dead.listen(0, '127.0.0.1', r));
      const deadPort = (dead.address() as AddressInfo).port;
      await new Promise((r) => dead.close(r));
      expect(deadPort).not.toBe(port);
      const c = new MemoryClient({ baseUrl: `http://127.0.0.1:${deadPort}`, retries: 1, retryBaseMs: 1 });
      const err = await c.health().catch((e) => e);
      expect(err).toBeInstanceOf(MemoryConnectionError);
      expect(err.detail).toMatch(/ECONNREFUSED/);
    });
  });
});
