import { describe, expect, it } from 'vitest';
import { MemoryError } from '../../src/errors.js';
import { openRedisStore, type RedisStore } from '../../src/store/redis/redis-store.js';
import { parseRedisUrl, redactUrl } from '../../src/store/redis/url.js';
import { axis, filter, mem, message, noFilter, sorted, workingMemory } from './records.js';
import { freshPrefix, freshStore, harness, noRedis, noSearch } from './redis-helpers.js';

async function withStore<T>(fn: (s: RedisStore) => Promise<T>): Promise<T> {
  const store = await freshStore();
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

describe('REDIS_URL forms', () => {
  it('reads standalone, Sentinel and Cluster URLs', () => {
    expect(parseRedisUrl('rediss://:pw@h:6380/2')).toEqual({ mode: 'standalone', url: 'rediss://:pw@h:6380/2' });
    expect(parseRedisUrl('redis+sentinel://u:p%40ss@s1:26379,s2/mymaster/3')).toEqual({
      mode: 'sentinel',
      sentinels: [
        { host: 's1', port: 26379 },
        { host: 's2', port: 26379 },
      ],
      name: 'mymaster',
      db: 3,
      tls: false,
      username: 'u',
      password: 'p@ss',
    });
    expect(parseRedisUrl('rediss-cluster://n1:7000,[::1]:7001')).toEqual({
      mode: 'cluster',
      nodes: [
        { host: 'n1', port: 7000 },
        { host: '::1', port: 7001 },
      ],
      tls: true,
      username: undefined,
      password: undefined,
    });
    expect(() => parseRedisUrl('http://x')).toThrow(/REDIS_URL must start with/);
    expect(() => parseRedisUrl('redis+sentinel://s1:26379')).toThrow(/names the master group/);
  });

  it('never shows a password', () => {
    expect(redactUrl('redis://user:secret@host:6379/0')).toBe('redis://user:***@host:6379/0');
    expect(redactUrl('rediss://:secret@host')).toBe('rediss://:***@host');
    expect(redactUrl('redis://host:6379')).toBe('redis://host:6379');
  });
});

describe.skipIf(noRedis)(`redis store specifics${noRedis ? ` (skipped: ${noRedis})` : ''}`, () => {
  it('fails with unavailable, naming the server without its password, when Redis is unreachable', async () => {
    const err = await openRedisStore({ url: 'redis://:hunter2@127.0.0.1:1', connectTimeoutMs: 500 }).catch((e) => e);
    expect(err).toBeInstanceOf(MemoryError);
    expect((err as MemoryError).kind).toBe('unavailable');
    expect((err as MemoryError).message).toMatch(/^Redis at redis:\/\/:\*\*\*@127\.0\.0\.1:1 is unreachable: /);
    expect((err as MemoryError).message).not.toContain('hunter2');
  });

  it.skipIf(!noSearch)('refuses to start without the search module, saying which Redis to use', async () => {
    const err = await openRedisStore({ url: harness!.url, keyPrefix: freshPrefix() }).catch((e) => e);
    expect((err as MemoryError).kind).toBe('unavailable');
    expect((err as MemoryError).message).toMatch(/Redis 8, Redis Stack.*RediSearch module 2\.6 or newer/);
    // With requireSearch: false, working memory works and long-term calls say why they cannot.
    await withStore(async (s) => {
      await expect(s.putMemories([mem()], { deduplicate: false })).rejects.toThrow(/no search module/);
      expect((await s.appendMessages({ session_id: 's', namespace: null, user_id: null }, [message()])).appended).toBe(
        1,
      );
    });
  });

  it('lands every one of 16 concurrent appends from 16 connections, each once, in one order', async () => {
    const prefix = freshPrefix();
    const stores = await Promise.all(
      Array.from({ length: 16 }, () => openRedisStore({ url: harness!.url, keyPrefix: prefix, requireSearch: false })),
    );
    try {
      const key = { session_id: 'race', namespace: 'ns', user_id: null };
      const batches = stores.map((_, i) => [message({ id: `m${i}-a` }), message({ id: `m${i}-b` })]);
      const results = await Promise.all(
        stores.map((s, i) => s.appendMessages(key, [...batches[i]!, batches[(i + 1) % 16]![0]!])),
      );
      const total = results.reduce((n, r) => n + r.appended, 0);
      expect(total).toBe(32);
      expect(sorted(results.map((r) => String(r.session.version)))).toEqual(
        sorted(Array.from({ length: 16 }, (_, i) => String(i + 1))),
      );
      const final = (await stores[0]!.getSession(key))!;
      expect(final.version).toBe(16);
      expect(final.total_messages).toBe(32);
      expect(new Set(final.messages.map((m) => m.id)).size).toBe(32);
      // Each append's own pair stays adjacent: scripts never interleave.
      for (const [i] of batches.entries()) {
        const at = final.messages.findIndex((m) => m.id === `m${i}-a`);
        if (final.messages[at + 1]?.id !== `m${i}-b`) expect(final.messages[at - 1]?.id).toBe(`m${(i + 15) % 16}-b`);
      }
    } finally {
      await stores[0]!.destroy();
      await Promise.all(stores.map((s) => s.close()));
    }
  });

  it('gives every key of a session the same expiry, and drops expired sessions from the listing sets', async () => {
    await withStore(async (s) => {
      const key = { session_id: 'ttl', namespace: 'n', user_id: 'u' };
      await s.appendMessages(key, [message(), message()], { ttlSeconds: 1 });
      await s.archiveMessages(key, { ids: [], context: 'summary', expectedContext: null });
      const suffix = s.keys.sessionSuffix(key);
      const keys = [s.keys.session(suffix), s.keys.messages(suffix), s.keys.messageIds(suffix)];
      const ttls = await Promise.all(keys.map((k) => s.client.pttl(k)));
      for (const t of ttls) expect(t).toBeGreaterThan(0);
      expect(Math.max(...ttls) - Math.min(...ttls)).toBeLessThan(50);
      await s.putSession(workingMemory({ session_id: 'kept', namespace: 'n' }));
      await new Promise((r) => setTimeout(r, 1100));
      expect(await s.listSessions({ namespace: 'n' }, 10, 0)).toEqual({ items: ['kept'], total: 1 });
      expect(await s.client.zcard(s.keys.sessionsByUser('u'))).toBe(0);
      expect(await s.client.scard(s.keys.sessionsWithId('ttl'))).toBe(0);
      // No ttl: nothing expires.
      await s.appendMessages(key, [message()], { ttlSeconds: null });
      expect(await s.client.pttl(s.keys.session(suffix))).toBe(-1);
    });
  });

  it('archives messages, keeps them for export and extraction, and marks extraction', async () => {
    await withStore(async (s) => {
      const key = { session_id: 'arch', namespace: null, user_id: null };
      const [a, b, c] = [message(), message(), message()];
      await s.appendMessages(key, [a!, b!, c!]);
      expect(await s.archiveMessages(key, { ids: [a!.id], context: 'x', expectedContext: 'stale' })).toBeNull();
      const after = (await s.archiveMessages(key, { ids: [a!.id, b!.id], context: 'sum', expectedContext: null }))!;
      expect(after.messages.map((m) => m.id)).toEqual([c!.id]);
      expect(after.context).toBe('sum');
      expect(after.version).toBe(2);
      expect((await s.appendMessages(key, [a!])).appended).toBe(0);
      expect(await s.markMessagesExtracted(key, [a!.id, c!.id, 'missing'])).toBe(2);
      expect((await s.messagesToExtract(key)).map((m) => m.id)).toEqual([b!.id]);
      // A client re-sending an extracted message unmarked does not undo the mark.
      const put = await s.putSession({ ...workingMemory({ session_id: 'arch' }), messages: [c!], context: 'sum' });
      expect(put.messages[0]!.discrete_memory_extracted).toBe('t');
      const exported = [];
      for await (const x of s.allSessions()) exported.push(x);
      expect(exported[0]!.archived_messages?.map((m) => m.id)).toEqual([a!.id, b!.id]);
    });
  });

  it('records the embedding model without the search module, and refuses another', async () => {
    await withStore(async (s) => {
      await s.ensureEmbeddingModel('m1', 8);
      await s.ensureEmbeddingModel('m1', 8);
      const err = await s.ensureEmbeddingModel('m2', 16).catch((e) => e);
      expect((err as MemoryError).kind).toBe('conflict');
      expect((err as MemoryError).message).toContain('"m1" (dimension 8)');
    });
  });

  it('keeps the embedding cache per model', async () => {
    await withStore(async (s) => {
      await s.putCachedVectors('m', [['h', new Float32Array([1, 2.5, -3])]]);
      expect([...(await s.getCachedVectors('m', ['h', 'x'])).get('h')!]).toEqual([1, 2.5, -3]);
      expect((await s.getCachedVectors('other', ['h'])).size).toBe(0);
    });
  });

  it('queues tasks: one claim per task, lease owners checked, dedupe keys postponed', async () => {
    await withStore(async (s) => {
      const t0 = 1_000_000;
      const a = await s.tasks.enqueue(
        { kind: 'k', payload: { n: 1.5 }, runAt: t0, maxAttempts: 2, dedupeKey: 'd' },
        t0,
      );
      const again = await s.tasks.enqueue(
        { kind: 'k', payload: { n: 2 }, runAt: t0 + 50, maxAttempts: 2, dedupeKey: 'd' },
        t0,
      );
      expect(again.id).toBe(a.id);
      expect(again.run_at).toBe(t0 + 50);
      expect(await s.tasks.claim('w1', 100, t0)).toBeNull();
      expect(await s.tasks.nextDue()).toBe(t0 + 50);
      const claims = await Promise.all([s.tasks.claim('w1', 100, t0 + 60), s.tasks.claim('w2', 100, t0 + 60)]);
      expect(claims.filter(Boolean)).toHaveLength(1);
      const owner = claims[0] ? 'w1' : 'w2';
      expect(await s.tasks.complete(a.id, 'intruder', 1, t0 + 70)).toBe(false);
      expect(await s.tasks.complete(a.id, owner, { ok: true }, t0 + 70)).toBe(true);
      const done = (await s.tasks.get(a.id))!;
      expect(done).toMatchObject({ status: 'success', result: { ok: true }, payload: { n: 2 }, attempts: 1 });
      expect(await s.tasks.countByStatus()).toEqual({ pending: 0, running: 0, success: 1, failed: 0 });
      expect(await s.tasks.purgeFinished(t0 + 71)).toBe(1);
      expect(await s.tasks.get(a.id)).toBeNull();
    });
  });

  it.skipIf(!harness?.owned)('fails fast while redis-server is down and recovers without a restart', async () => {
    const store = await openRedisStore({ url: harness!.url, keyPrefix: freshPrefix(), requireSearch: false });
    try {
      const key = { session_id: 'r', namespace: null, user_id: null };
      await store.appendMessages(key, [message()]);
      await harness!.kill();
      const started = Date.now();
      const err = await store.appendMessages(key, [message()]).catch((e) => e);
      expect(err).toBeInstanceOf(MemoryError);
      expect((err as MemoryError).kind).toBe('unavailable');
      expect((err as MemoryError).message).toContain(`Redis at ${harness!.url} is unreachable`);
      expect((await store.getSession(key).catch((e) => e)).kind).toBe('unavailable');
      expect(Date.now() - started).toBeLessThan(1000);
      await harness!.restart();
      const deadline = Date.now() + 10_000;
      for (;;) {
        try {
          const res = await store.appendMessages(key, [message()]);
          // The server had no persistence: the session starts afresh on the new process.
          expect(res.appended).toBe(1);
          break;
        } catch (e) {
          if (Date.now() > deadline) throw e;
          await new Promise((r) => setTimeout(r, 100));
        }
      }
    } finally {
      await store.close();
    }
  });
});

describe.skipIf(noRedis || noSearch)(
  `redis search specifics${noRedis || noSearch ? ` (skipped: ${noRedis ?? noSearch})` : ''}`,
  () => {
    const NASTY = ['-@{}|()*:"\'\\', 'a,b', 'A b', ' x', '$x{y}', 'ns}|{@other', '*', "' OR 1=1 --", 'ünï ✓'];

    it('treats tag values full of query syntax as data: exact match, negation, prefix', async () => {
      await withStore(async (s) => {
        await s.ensureEmbeddingModel('m', 8);
        const items = NASTY.map((v, i) =>
          mem({ id: `n${i}`, namespace: v, topics: [v.replaceAll(',', ';'), 'plain'] }),
        );
        await s.putMemories([...items, mem({ id: 'other', namespace: 'other' })], { deduplicate: false });
        for (const [i, v] of NASTY.entries()) {
          expect((await s.listMemories(filter({ namespace: { eq: v } }), 50, 0)).items.map((r) => r.id)).toEqual([
            `n${i}`,
          ]);
          expect(await s.countMemories(filter({ namespace: { ne: v } }))).toBe(NASTY.length);
          expect(await s.countMemories(filter({ namespace: { startswith: v } }))).toBeGreaterThanOrEqual(1);
          expect(await s.countMemories(filter({ topics: { any: [v.replaceAll(',', ';')] } }))).toBe(1);
        }
        expect(await s.countMemories(filter({ namespace: { eq: 'a' } }))).toBe(0);
        expect(await s.countMemories(filter({ namespace: { eq: 'a b' } }))).toBe(0);
        expect(await s.countMemories(noFilter())).toBe(NASTY.length + 1);
      });
    });

    it('treats keyword terms full of query syntax as text', async () => {
      await withStore(async (s) => {
        await s.ensureEmbeddingModel('m', 8);
        await s.putMemories([mem({ terms: 'alpha beta' }), mem({ terms: 'gamma' })], { deduplicate: false });
        for (const t of NASTY) await expect(s.keywordSearch([t], noFilter(), 5)).resolves.toBeDefined();
        expect((await s.keywordSearch(['@terms:alpha|gamma'], noFilter(), 5)).total).toBe(2);
        expect((await s.keywordSearch(['-alpha'], noFilter(), 5)).total).toBe(1);
      });
    });

    it('returns each hit with its memory times, so ranking by recency needs no record', async () => {
      await withStore(async (s) => {
        await s.ensureEmbeddingModel('m', 8);
        const m = mem({
          terms: 'timed',
          created_at: '2024-03-04T05:06:07.008Z',
          last_accessed: '2024-05-06T00:00:00Z',
        });
        await s.putMemories([m, mem({ terms: 'other', vector: axis(1) })], { deduplicate: false });
        const times = { createdMs: Date.parse('2024-03-04T05:06:07.008Z'), lastAccessedMs: Date.parse('2024-05-06') };
        expect((await s.keywordSearch(['timed'], noFilter(), 5)).items[0]).toMatchObject({ id: m.record.id, ...times });
        expect((await s.vectorSearch(m.vector, noFilter(), 1)).items[0]).toMatchObject({ id: m.record.id, ...times });
        expect((await s.vectorSearch(m.vector, noFilter(), 1, 0.1)).items[0]).toMatchObject(times);
        expect((await s.keywordSearch(['timed', 'other'], noFilter(), 1, { count: false })).total).toBe(1);
      });
    });

    it('rebuilds the index from the memory hashes', async () => {
      await withStore(async (s) => {
        await s.ensureEmbeddingModel('m', 8);
        await s.putMemories([mem({ terms: 'kept' }), mem({ terms: 'kept too' })], { deduplicate: false });
        expect(await s.rebuildIndex()).toBe(2);
        expect((await s.keywordSearch(['kept'], noFilter(), 5)).total).toBe(2);
      });
    });
  },
);
