import { expect, it } from 'vitest';
import type { NewActivity } from '../../../src/store/port.js';
import { mem, memoryRecord, message, T0, workingMemory } from '../records.js';
import type { StoreContext } from './context.js';

const event = (over: Partial<NewActivity> = {}): NewActivity => ({
  at: T0,
  action: 'append',
  resource: 'session',
  target_id: 's1',
  namespace: 'ns',
  user_id: 'u1',
  session_id: 's1',
  actor: 'test',
  before: null,
  after: null,
  details: {},
  ...over,
});

/** The activity stream and history behind GET /v1/activity (needs no search module on Redis). */
export function activityBehaviour(ctx: StoreContext): void {
  it('keeps every field, lists newest first and pages by seq in commit order', async () => {
    const record = memoryRecord({ id: 'm1', text: 'old text', namespace: 'ns', user_id: 'u1' });
    await ctx.store.appendActivity([
      event({ action: 'create', resource: 'memory', target_id: 'm1', after: record, details: { n: 1 } }),
      event({ at: T0 + 1, details: { appended: 2, message_ids: ['a', 'b'] } }),
    ]);
    await ctx.store.appendActivity([event({ at: T0 + 2, action: 'delete', namespace: null, user_id: null })]);
    const all = await ctx.store.listActivity({}, 10);
    expect(all.map((e) => e.action)).toEqual(['delete', 'append', 'create']);
    expect(all[0]!.seq).toBeGreaterThan(all[1]!.seq);
    expect(all[1]!.seq).toBeGreaterThan(all[2]!.seq);
    const { seq: _, ...first } = all[2]!;
    expect(first).toEqual(
      event({ action: 'create', resource: 'memory', target_id: 'm1', after: record, details: { n: 1 } }),
    );
    expect(all[0]!.namespace).toBeNull();
    expect(all[0]!.user_id).toBeNull();
    expect(all[1]!.details).toEqual({ appended: 2, message_ids: ['a', 'b'] });

    const page = await ctx.store.listActivity({ beforeSeq: all[0]!.seq }, 1);
    expect(page.map((e) => e.seq)).toEqual([all[1]!.seq]);
    const after = await ctx.store.listActivity({ afterSeq: all[2]!.seq }, 10);
    expect(after.map((e) => e.seq)).toEqual([all[1]!.seq, all[0]!.seq]);
  });

  it('filters by namespace, user, session, target, resource, actions and time, all at once', async () => {
    await ctx.store.appendActivity([
      event({ namespace: 'a', user_id: 'x', action: 'append' }),
      event({ namespace: 'a', user_id: 'y', action: 'put', at: T0 + 10 }),
      event({ namespace: 'b', user_id: 'x', action: 'delete', at: T0 + 20, session_id: 's2', target_id: 's2' }),
      event({ namespace: 'a', user_id: 'x', action: 'create', resource: 'memory', target_id: 'm9', at: T0 + 30 }),
    ]);
    const actions = async (f: Parameters<typeof ctx.store.listActivity>[0]) =>
      (await ctx.store.listActivity(f, 100)).map((e) => e.action);
    expect(await actions({ namespace: 'a' })).toEqual(['create', 'put', 'append']);
    expect(await actions({ user_id: 'x' })).toEqual(['create', 'delete', 'append']);
    expect(await actions({ namespace: 'a', user_id: 'x' })).toEqual(['create', 'append']);
    expect(await actions({ session_id: 's2' })).toEqual(['delete']);
    expect(await actions({ target_id: 'm9' })).toEqual(['create']);
    expect(await actions({ resource: 'session', namespace: 'a' })).toEqual(['put', 'append']);
    expect(await actions({ actions: ['put', 'delete'] })).toEqual(['delete', 'put']);
    expect(await actions({ sinceMs: T0 + 10 })).toEqual(['create', 'delete', 'put']);
    expect(await actions({ sinceMs: T0 + 10, afterSeq: 0 })).toEqual(['put', 'delete', 'create']);
    expect(await actions({ namespace: 'nowhere' })).toEqual([]);
  });

  it('fills a filtered page past events the filter drops', async () => {
    const many = Array.from({ length: 450 }, (_, i) => event({ at: T0 + i, action: i % 150 === 0 ? 'put' : 'append' }));
    await ctx.store.appendActivity(many);
    const puts = await ctx.store.listActivity({ actions: ['put'] }, 10);
    expect(puts.map((e) => e.at)).toEqual([T0 + 300, T0 + 150, T0]);
  });

  it('prunes events older than a time, a batch at a time, and keeps the newer', async () => {
    await ctx.store.appendActivity(
      Array.from({ length: 5 }, (_, i) => event({ at: T0 + i * 1000, target_id: `s${i}`, session_id: `s${i}` })),
    );
    expect(await ctx.store.pruneActivity(T0 + 3000, 2)).toBe(2);
    expect(await ctx.store.pruneActivity(T0 + 3000, 2)).toBe(1);
    expect(await ctx.store.pruneActivity(T0 + 3000, 2)).toBe(0);
    const left = await ctx.store.listActivity({}, 10);
    expect(left.map((e) => e.target_id)).toEqual(['s4', 's3']);
    // The indexes forget pruned events too.
    expect(await ctx.store.listActivity({ target_id: 's0' }, 10)).toEqual([]);
    expect(await ctx.store.listActivity({ namespace: 'ns' }, 10)).toHaveLength(2);
  });
}

/** Erasing a user: sessions and activity (memories: `eraseMemoryBehaviour`, which needs search on Redis). */
export function eraseSessionBehaviour(ctx: StoreContext): void {
  it("erases one user's sessions, activity and tasks in every namespace, or in one, and nobody else's", async () => {
    for (const [ns, user, id] of [
      ['a', 'gone', 's1'],
      ['b', 'gone', 's2'],
      ['a', 'kept', 's3'],
      [null, 'gone', 's4'],
    ] as const) {
      await ctx.store.putSession(
        workingMemory({ session_id: id, namespace: ns, user_id: user, messages: [message()] }),
      );
      await ctx.store.appendActivity([event({ namespace: ns, user_id: user, target_id: id, session_id: id })]);
      await ctx.store.tasks.enqueue(
        { kind: 'extract', payload: { session_id: id, namespace: ns, user_id: user }, runAt: T0, maxAttempts: 1 },
        T0,
      );
    }
    const inA = await ctx.store.eraseUser('gone', 'a');
    expect(inA).toMatchObject({ sessions: 1, memories: 0, activity_events: 1, tasks: 1 });
    expect(await ctx.store.getSession({ session_id: 's1' })).toBeNull();
    expect(await ctx.store.getSession({ session_id: 's2' })).not.toBeNull();

    const everywhere = await ctx.store.eraseUser('gone', undefined);
    expect(everywhere).toMatchObject({ sessions: 2, activity_events: 2, tasks: 2 });
    expect((await ctx.store.listSessions({}, 10, 0)).items).toEqual(['s3']);
    expect((await ctx.store.listActivity({}, 10)).map((e) => e.user_id)).toEqual(['kept']);
    expect(await ctx.store.listActivity({ user_id: 'gone' }, 10)).toEqual([]);
    const counts = await ctx.store.tasks.countByStatus();
    expect(counts.pending).toBe(1);
  });

  it('counts sessions and their live messages, overall and per namespace and user', async () => {
    await ctx.store.putSession(
      workingMemory({ session_id: 's1', namespace: 'a', user_id: 'x', messages: [message(), message()] }),
    );
    await ctx.store.putSession(
      workingMemory({ session_id: 's2', namespace: 'b', user_id: 'x', messages: [message()] }),
    );
    const all = await ctx.store.counts({});
    expect(all).toMatchObject({ sessions: 2, messages: 3 });
    expect(all.storage_bytes).toBeGreaterThan(0);
    expect(await ctx.store.counts({ namespace: 'a' })).toMatchObject({ sessions: 1, messages: 2 });
    expect(await ctx.store.counts({ user_id: 'x', namespace: 'b' })).toMatchObject({ sessions: 1, messages: 1 });
    expect(await ctx.store.counts({ user_id: 'nobody' })).toMatchObject({ sessions: 0, messages: 0 });
  });
}

/** Erasing a user's long-term memories, and counting memories (a search group on Redis). */
export function eraseMemoryBehaviour(ctx: StoreContext): void {
  it("erases one user's memories and the cached vectors of their texts", async () => {
    const gone = mem({ user_id: 'gone', namespace: 'a', text: 'secret one' });
    const kept = mem({ user_id: 'kept', namespace: 'a', text: 'public one' });
    await ctx.store.putMemories([gone, kept], { deduplicate: false });
    const { contentHash } = await import('../../../src/util/content-hash.js');
    await ctx.store.putCachedVectors('m', [
      [contentHash('secret one'), gone.vector],
      [contentHash('public one'), kept.vector],
    ]);
    const report = await ctx.store.eraseUser('gone', undefined);
    expect(report).toMatchObject({ memories: 1, cached_embeddings: 1, hashes: [contentHash('secret one')] });
    expect((await ctx.store.getMemories([gone.record.id, kept.record.id])).map((r) => r.id)).toEqual([kept.record.id]);
    const cached = await ctx.store.getCachedVectors('m', [contentHash('secret one'), contentHash('public one')]);
    expect([...cached.keys()]).toEqual([contentHash('public one')]);
  });

  it('groups exact duplicates by hash, namespace and user, oldest first, and only those changed since', async () => {
    const at = (day: number) => `2025-01-${String(day).padStart(2, '0')}T00:00:00.000Z`;
    await ctx.store.putMemories(
      [
        mem({ id: 'd2', memory_hash: 'h', namespace: 'a', created_at: at(2), updated_at: at(2) }),
        mem({ id: 'd1', memory_hash: 'h', namespace: 'a', created_at: at(1), updated_at: at(1) }),
        mem({ id: 'd3', memory_hash: 'h', namespace: 'a', created_at: at(3), updated_at: at(9) }),
        mem({ id: 'other-ns', memory_hash: 'h', namespace: 'b', created_at: at(1), updated_at: at(1) }),
        mem({ id: 'other-user', memory_hash: 'h', namespace: 'a', user_id: 'u', created_at: at(1), updated_at: at(1) }),
        mem({ id: 'e1', memory_hash: 'e', namespace: 'a', created_at: at(1), updated_at: at(1) }),
        mem({ id: 'e2', memory_hash: 'e', namespace: 'a', created_at: at(2), updated_at: at(2) }),
        mem({ id: 'single', memory_hash: 's', namespace: 'a', created_at: at(1), updated_at: at(1) }),
      ],
      { deduplicate: false },
    );
    const sorted = (groups: string[][]) => groups.map((g) => g.join(',')).sort();
    expect(sorted(await ctx.store.duplicateGroups({}))).toEqual(['d1,d2,d3', 'e1,e2']);
    expect(sorted(await ctx.store.duplicateGroups({ namespace: 'b' }))).toEqual([]);
    expect(sorted(await ctx.store.duplicateGroups({ namespace: 'a' }, Date.parse(at(5))))).toEqual(['d1,d2,d3']);
  });

  it('counts memories by namespace, user, type and pin, with the oldest and newest', async () => {
    await ctx.store.putMemories(
      [
        mem({
          namespace: 'a',
          user_id: 'x',
          memory_type: 'semantic',
          pinned: true,
          created_at: '2025-01-01T00:00:00.000Z',
        }),
        mem({ namespace: 'a', user_id: null, memory_type: 'episodic', created_at: '2025-02-01T00:00:00.000Z' }),
        mem({ namespace: null, user_id: 'x', memory_type: 'semantic', created_at: '2025-03-01T00:00:00.000Z' }),
      ],
      { deduplicate: false },
    );
    const all = await ctx.store.counts({});
    expect(all).toMatchObject({
      memories: 3,
      by_namespace: { a: 2, '(none)': 1 },
      by_user: { x: 2, '(none)': 1 },
      by_memory_type: { semantic: 2, episodic: 1 },
      pinned: 1,
      oldest: '2025-01-01T00:00:00.000Z',
      newest: '2025-03-01T00:00:00.000Z',
    });
    expect(await ctx.store.counts({ namespace: 'a', user_id: 'x' })).toMatchObject({ memories: 1, pinned: 1 });
  });
}
