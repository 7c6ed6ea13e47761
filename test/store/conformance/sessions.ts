import { describe, expect, it } from 'vitest';
import type { SessionKey } from '../../../src/store/port.js';
import { memoryRecord, message, sleep, workingMemory } from '../records.js';
import { rejection, type StoreContext } from './context.js';

export function sessionBehaviour(ctx: StoreContext): void {
  const key = (session_id: string, namespace: string | null = null, user_id: string | null = null): SessionKey => ({
    session_id,
    namespace,
    user_id,
  });

  describe('put and get', () => {
    it('stores every field and starts at version 1', async () => {
      const wm = workingMemory({
        namespace: 'ns',
        user_id: 'u',
        messages: [
          message({ persisted_at: '2024-01-01T00:00:00.000Z' }),
          message({ role: 'assistant', discrete_memory_extracted: 't', persisted_at: '2024-01-02T00:00:00.000Z' }),
        ],
        memories: [memoryRecord({ topics: ['x'] })],
        context: 'summary so far',
        data: { a: 1, nested: { b: [1, 2] } },
        tokens: 42,
        ttl_seconds: 3600,
        long_term_memory_strategy: { strategy: 'summary', config: { max: 3 } },
      });
      const before = Date.now();
      const stored = await ctx.store.putSession(wm);
      expect(stored.version).toBe(1);
      expect(stored.total_messages).toBe(2);
      expect(stored.expires_at).toBeGreaterThanOrEqual(before + 3_600_000);
      expect(stored.expires_at).toBeLessThanOrEqual(Date.now() + 3_600_000);
      const got = await ctx.store.getSession({ session_id: wm.session_id, namespace: 'ns', user_id: 'u' });
      expect(got).toEqual(stored);
      const { version, updated_at, last_accessed, created_at, ...rest } = got!;
      const { version: _v, updated_at: _u, last_accessed: _l, created_at: _c, ...sent } = wm;
      expect(rest).toEqual({ ...sent, total_messages: 2, expires_at: stored.expires_at });
      expect(Date.parse(updated_at)).toBeGreaterThanOrEqual(before);
      expect(Date.parse(last_accessed)).toBeGreaterThanOrEqual(before);
      expect(version).toBe(1);
      expect(created_at).toBeTypeOf('string');
    });

    it('replaces everything on put, bumps the version and keeps created_at', async () => {
      const wm = workingMemory({ messages: [message(), message()], context: 'old', data: { k: 1 } });
      const first = await ctx.store.putSession(wm);
      await sleep(5);
      const replacement = { ...wm, messages: [message({ content: 'only one' })], context: 'new', data: { k: 2 } };
      const second = await ctx.store.putSession(replacement);
      expect(second.version).toBe(2);
      expect(second.created_at).toBe(first.created_at);
      expect(Date.parse(second.updated_at)).toBeGreaterThan(Date.parse(first.updated_at));
      expect(second.messages.map((m) => m.content)).toEqual(['only one']);
      expect(second.total_messages).toBe(1);
      expect(second.context).toBe('new');
      expect(second.data).toEqual({ k: 2 });
      expect((await ctx.store.putSession(replacement)).version).toBe(3);
    });

    it('has no expiry without ttl_seconds', async () => {
      expect((await ctx.store.putSession(workingMemory())).expires_at).toBeNull();
    });

    it('checks expectedVersion (a missing session is version 0)', async () => {
      const wm = workingMemory();
      expect((await rejection(() => ctx.store.putSession(wm, { expectedVersion: 1 }))).kind).toBe('conflict');
      expect((await ctx.store.putSession(wm, { expectedVersion: 0 })).version).toBe(1);
      const err = await rejection(() => ctx.store.putSession(wm, { expectedVersion: 0 }));
      expect(err.kind).toBe('conflict');
      expect((await ctx.store.getSession({ session_id: wm.session_id }))!.version).toBe(1);
      expect((await ctx.store.putSession(wm, { expectedVersion: 1 })).version).toBe(2);
    });

    it('finds a session by id alone, or narrowed by namespace and user (null meaning none)', async () => {
      const wm = workingMemory({ namespace: 'ns', user_id: 'u' });
      await ctx.store.putSession(wm);
      const id = wm.session_id;
      expect((await ctx.store.getSession({ session_id: id }))?.namespace).toBe('ns');
      expect(await ctx.store.getSession({ session_id: id, namespace: 'ns' })).not.toBeNull();
      expect(await ctx.store.getSession({ session_id: id, user_id: 'u' })).not.toBeNull();
      expect(await ctx.store.getSession({ session_id: id, namespace: 'other' })).toBeNull();
      expect(await ctx.store.getSession({ session_id: id, namespace: null })).toBeNull();
      expect(await ctx.store.getSession({ session_id: id, namespace: 'ns', user_id: null })).toBeNull();
      expect(await ctx.store.getSession({ session_id: 'missing' })).toBeNull();
    });

    it('keeps sessions with one id in different namespaces apart, and refuses to guess between them', async () => {
      await ctx.store.putSession(workingMemory({ session_id: 'shared', namespace: 'a', context: 'in a' }));
      await ctx.store.putSession(
        workingMemory({ session_id: 'shared', namespace: null, user_id: 'u', context: 'in u' }),
      );
      const err = await rejection(() => ctx.store.getSession({ session_id: 'shared' }));
      expect(err.kind).toBe('conflict');
      expect(err.message).toContain('"shared"');
      expect(err.message).toContain('pass namespace and/or user_id');
      expect((await ctx.store.getSession({ session_id: 'shared', namespace: 'a' }))?.context).toBe('in a');
      expect((await ctx.store.getSession({ session_id: 'shared', user_id: 'u' }))?.context).toBe('in u');
      expect((await rejection(() => ctx.store.deleteSession({ session_id: 'shared' }))).kind).toBe('conflict');
    });

    it('returns only the newest messages with recentMessagesLimit, and the full count', async () => {
      const msgs = Array.from({ length: 5 }, (_, i) => message({ content: `m${i}` }));
      const wm = workingMemory({ messages: msgs });
      await ctx.store.putSession(wm);
      const got = await ctx.store.getSession({ session_id: wm.session_id }, { recentMessagesLimit: 2 });
      expect(got!.messages.map((m) => m.content)).toEqual(['m3', 'm4']);
      expect(got!.total_messages).toBe(5);
      const all = await ctx.store.getSession({ session_id: wm.session_id }, { recentMessagesLimit: 50 });
      expect(all!.messages.map((m) => m.content)).toEqual(['m0', 'm1', 'm2', 'm3', 'm4']);
    });

    it('updates last_accessed on touch only', async () => {
      const wm = workingMemory();
      const stored = await ctx.store.putSession(wm);
      await sleep(5);
      const plain = await ctx.store.getSession({ session_id: wm.session_id });
      expect(plain!.last_accessed).toBe(stored.last_accessed);
      const touched = await ctx.store.getSession({ session_id: wm.session_id }, { touch: true });
      expect(Date.parse(touched!.last_accessed)).toBeGreaterThan(Date.parse(stored.last_accessed));
      expect(touched!.version).toBe(stored.version);
      expect((await ctx.store.getSession({ session_id: wm.session_id }))!.last_accessed).toBe(touched!.last_accessed);
    });

    it('deletes a session with its messages', async () => {
      const wm = workingMemory({ namespace: 'ns', messages: [message()] });
      await ctx.store.putSession(wm);
      expect(await ctx.store.deleteSession({ session_id: wm.session_id, namespace: 'ns' })).toBe(true);
      expect(await ctx.store.getSession({ session_id: wm.session_id })).toBeNull();
      expect(await ctx.store.deleteSession({ session_id: wm.session_id })).toBe(false);
      const again = await ctx.store.appendMessages(key(wm.session_id, 'ns'), [message()]);
      expect(again.session.total_messages).toBe(1);
    });
  });

  describe('append', () => {
    it('creates the session at the key when missing', async () => {
      const m = message({ content: 'hello' });
      const res = await ctx.store.appendMessages(key('new', 'ns', 'u'), [m]);
      expect(res.appended).toBe(1);
      expect(res.session).toMatchObject({
        session_id: 'new',
        namespace: 'ns',
        user_id: 'u',
        version: 1,
        total_messages: 1,
      });
      expect(res.session.messages.map((x) => x.id)).toEqual([m.id]);
      expect(await ctx.store.getSession({ session_id: 'new', namespace: 'ns', user_id: 'u' })).toEqual(res.session);
    });

    it('appends in order, bumps the version and skips ids already stored', async () => {
      const [a, b, c] = [message(), message(), message()];
      await ctx.store.appendMessages(key('s'), [a!, b!]);
      const res = await ctx.store.appendMessages(key('s'), [b!, c!, c!]);
      expect(res.appended).toBe(1);
      expect(res.session.version).toBe(2);
      expect(res.session.messages.map((m) => m.id)).toEqual([a!.id, b!.id, c!.id]);
      const again = await ctx.store.appendMessages(key('s'), [a!, b!, c!]);
      expect(again.appended).toBe(0);
      expect(again.session.total_messages).toBe(3);
    });

    it('appends after messages written by putSession', async () => {
      const wm = workingMemory({ messages: [message({ content: 'first' })] });
      await ctx.store.putSession(wm);
      const res = await ctx.store.appendMessages(key(wm.session_id), [message({ content: 'second' })]);
      expect(res.session.messages.map((m) => m.content)).toEqual(['first', 'second']);
      expect(res.session.version).toBe(2);
    });

    it('returns the newest window with recentMessagesLimit', async () => {
      const msgs = Array.from({ length: 4 }, (_, i) => message({ content: `m${i}` }));
      const res = await ctx.store.appendMessages(key('w'), msgs, { recentMessagesLimit: 3 });
      expect(res.session.messages.map((m) => m.content)).toEqual(['m1', 'm2', 'm3']);
      expect(res.session.total_messages).toBe(4);
    });

    it('sets persisted_at to the write time when a message has none', async () => {
      const before = Date.now();
      const given = message({ persisted_at: '2024-06-01T00:00:00.000Z' });
      const res = await ctx.store.appendMessages(key('p'), [message({ persisted_at: null }), given]);
      const [first, second] = res.session.messages;
      expect(Date.parse(first!.persisted_at!)).toBeGreaterThanOrEqual(before);
      expect(second!.persisted_at).toBe('2024-06-01T00:00:00.000Z');
    });

    it('keeps message fields', async () => {
      const m = message({
        role: 'tool',
        content: 'result',
        created_at: '2024-02-03T04:05:06.007Z',
        discrete_memory_extracted: 't',
      });
      const res = await ctx.store.appendMessages(key('f'), [m]);
      expect(res.session.messages[0]).toEqual({ ...m, persisted_at: res.session.messages[0]!.persisted_at });
    });

    it('sets the ttl when given', async () => {
      const res = await ctx.store.appendMessages(key('t'), [message()], { ttlSeconds: 60 });
      expect(res.session.ttl_seconds).toBe(60);
      expect(res.session.expires_at).toBeGreaterThan(Date.now() + 50_000);
      const cleared = await ctx.store.appendMessages(key('t'), [message()], { ttlSeconds: null });
      expect(cleared.session.expires_at).toBeNull();
    });
  });

  describe('expiry and listing', () => {
    it('hides expired sessions from get, list and append (which starts afresh)', async () => {
      await ctx.store.putSession(workingMemory({ session_id: 'put-ttl', ttl_seconds: 1, messages: [message()] }));
      await ctx.store.appendMessages(key('append-ttl', 'ns'), [message(), message()], { ttlSeconds: 1 });
      await ctx.store.putSession(workingMemory({ session_id: 'kept' }));
      await sleep(1100);
      expect(await ctx.store.getSession({ session_id: 'put-ttl' })).toBeNull();
      expect(await ctx.store.getSession({ session_id: 'append-ttl', namespace: 'ns' })).toBeNull();
      expect(await ctx.store.listSessions({}, 10, 0)).toEqual({ items: ['kept'], total: 1 });
      const fresh = await ctx.store.appendMessages(key('append-ttl', 'ns'), [message()]);
      expect(fresh.appended).toBe(1);
      expect(fresh.session.total_messages).toBe(1);
      expect(fresh.session.version).toBe(1);
      expect(fresh.session.expires_at).toBeNull();
      const exported: string[] = [];
      for await (const s of ctx.store.allSessions()) exported.push(s.session_id);
      expect(exported.sort()).toEqual(['append-ttl', 'kept']);
    });

    it('lists session ids most recently updated first, with filters, paging and total', async () => {
      const specs: [string, string | null, string | null][] = [
        ['s1', 'a', 'u1'],
        ['s2', 'a', null],
        ['s3', 'b', 'u1'],
        ['s4', null, 'u1'],
        ['s5', 'a', 'u2'],
      ];
      for (const [id, ns, user] of specs) {
        await ctx.store.putSession(workingMemory({ session_id: id, namespace: ns, user_id: user }));
        await sleep(3);
      }
      await ctx.store.appendMessages(key('s1', 'a', 'u1'), [message()]);
      expect(await ctx.store.listSessions({}, 10, 0)).toEqual({ items: ['s1', 's5', 's4', 's3', 's2'], total: 5 });
      expect(await ctx.store.listSessions({}, 2, 1)).toEqual({ items: ['s5', 's4'], total: 5 });
      expect(await ctx.store.listSessions({ namespace: 'a' }, 10, 0)).toEqual({ items: ['s1', 's5', 's2'], total: 3 });
      expect(await ctx.store.listSessions({ user_id: 'u1' }, 10, 0)).toEqual({ items: ['s1', 's4', 's3'], total: 3 });
      expect(await ctx.store.listSessions({ namespace: 'a', user_id: null }, 10, 0)).toEqual({
        items: ['s2'],
        total: 1,
      });
      expect(await ctx.store.listSessions({ namespace: null }, 10, 0)).toEqual({ items: ['s4'], total: 1 });
      expect(await ctx.store.listSessions({ namespace: 'zzz' }, 10, 0)).toEqual({ items: [], total: 0 });
    });
  });
}
