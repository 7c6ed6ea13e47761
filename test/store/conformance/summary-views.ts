import { expect, it } from 'vitest';
import type { StoredPartition, StoredSummaryView } from '../../../src/store/summary-views.js';
import { rejection, type StoreContext } from './context.js';

const view = (id: string, created_at: number, extra: Partial<StoredSummaryView> = {}): StoredSummaryView => ({
  id,
  name: `view ${id}`,
  source: 'long_term',
  group_by: ['user_id'],
  filters: { namespace: { eq: 'chat' } },
  time_window_days: 30,
  continuous: false,
  prompt: null,
  model_name: null,
  created_at,
  ...extra,
});

const partition = (view_id: string, group: Record<string, string>, summary = 'a summary'): StoredPartition => ({
  view_id,
  group,
  summary,
  memory_count: summary ? 2 : 0,
  empty: !summary,
  empty_reason: summary ? null : 'no_matching_memories',
  computed_at: 1_760_000_000_000,
});

const task = { kind: 'summary_view_full_run', payload: { view_id: 'v' }, runAt: 1_000, maxAttempts: 3 };

/** Summary views: the store keeps views and partition results durably, and both stores answer alike. */
export function summaryViewBehaviour(ctx: StoreContext): void {
  it('stores, lists (oldest first), replaces and deletes views', async () => {
    const sv = ctx.store.summaryViews;
    expect(await sv.listViews()).toEqual([]);
    expect(await sv.getView('nope')).toBeNull();
    await sv.putView(view('b', 2_000));
    await sv.putView(view('a', 3_000, { prompt: 'Be brief.', group_by: ['user_id', 'namespace'] }));
    await sv.putView(view('c', 2_000));
    expect((await sv.listViews()).map((v) => v.id)).toEqual(['b', 'c', 'a']);
    expect(await sv.getView('a')).toEqual(
      view('a', 3_000, { prompt: 'Be brief.', group_by: ['user_id', 'namespace'] }),
    );
    await sv.putView(view('a', 3_000, { name: 'renamed' }));
    expect((await sv.getView('a'))?.name).toBe('renamed');
    expect(await sv.deleteView('b')).toBe(true);
    expect(await sv.deleteView('b')).toBe(false);
    expect(await sv.getView('b')).toBeNull();
    expect((await sv.listViews()).map((v) => v.id)).toEqual(['c', 'a']);
  });

  it('keeps one result per group, filters them by group values and drops them with their view', async () => {
    const sv = ctx.store.summaryViews;
    await sv.putView(view('v', 1_000, { group_by: ['user_id', 'namespace'] }));
    await sv.putView(view('w', 1_000));
    expect(await sv.putPartition(partition('v', { user_id: 'alice', namespace: 'chat' }, 'first'))).toBe(true);
    expect(await sv.putPartition(partition('v', { namespace: 'chat', user_id: 'alice' }, 'second'))).toBe(true);
    expect(await sv.putPartition(partition('v', { user_id: 'bob', namespace: 'chat' }, ''))).toBe(true);
    // Separators inside values cannot make two groups collide.
    expect(await sv.putPartition(partition('v', { user_id: 'a&namespace=b', namespace: 'c' }))).toBe(true);
    expect(await sv.putPartition(partition('w', { user_id: 'alice' }))).toBe(true);

    const all = await sv.listPartitions('v', {});
    expect(all).toHaveLength(3);
    const alice = all.find((p) => p.group.user_id === 'alice');
    expect(alice).toEqual(partition('v', { namespace: 'chat', user_id: 'alice' }, 'second'));
    expect((await sv.listPartitions('v', { user_id: 'bob' })).map((p) => p.empty_reason)).toEqual([
      'no_matching_memories',
    ]);
    expect(await sv.listPartitions('v', { user_id: 'alice', namespace: 'other' })).toEqual([]);
    expect((await sv.listPartitions('v', { namespace: 'chat', session_id: undefined })).length).toBe(2);
    expect(await sv.listPartitions('w', {})).toHaveLength(1);

    await sv.deleteView('v');
    expect(await sv.listPartitions('v', {})).toEqual([]);
    // Recreating the view does not bring its old results back.
    await sv.putView(view('v', 1_000));
    expect(await sv.listPartitions('v', {})).toEqual([]);
    expect(await sv.listPartitions('w', {})).toHaveLength(1);
  });

  it('deletes chosen partition results and counts those that existed', async () => {
    const sv = ctx.store.summaryViews;
    await sv.putView(view('v', 1_000));
    for (const user_id of ['alice', 'bob', 'carol']) await sv.putPartition(partition('v', { user_id }));
    expect(await sv.deletePartitions('v', [{ user_id: 'alice' }, { user_id: 'nobody' }, { user_id: 'carol' }])).toBe(2);
    expect(await sv.deletePartitions('v', [])).toBe(0);
    expect((await sv.listPartitions('v', {})).map((p) => p.group.user_id)).toEqual(['bob']);
  });

  it('refuses a partition result for a view that does not exist', async () => {
    const sv = ctx.store.summaryViews;
    expect(await sv.putPartition(partition('gone', { user_id: 'alice' }))).toBe(false);
    await sv.putView(view('gone', 1_000));
    expect(await sv.listPartitions('gone', {})).toEqual([]);
  });

  it('queues a task under a chosen id, and refuses that id a second time', async () => {
    const t = await ctx.store.tasks.enqueue({ ...task, id: 'my-run-1' }, 500);
    expect(t).toMatchObject({ id: 'my-run-1', kind: 'summary_view_full_run', status: 'pending' });
    expect((await ctx.store.tasks.get('my-run-1'))?.payload).toEqual({ view_id: 'v' });
    const err = await rejection(() => ctx.store.tasks.enqueue({ ...task, id: 'my-run-1', payload: {} }, 600));
    expect(err.kind).toBe('conflict');
    expect(err.message).toContain('my-run-1');
    expect((await ctx.store.tasks.get('my-run-1'))?.payload).toEqual({ view_id: 'v' });
    const generated = await ctx.store.tasks.enqueue(task, 700);
    expect(generated.id).not.toBe('my-run-1');
  });
}
