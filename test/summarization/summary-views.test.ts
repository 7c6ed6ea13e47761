/**
 * Summary views in the engine, with a model whose window is too small for a partition's memories in one call:
 * the partition is folded chunk by chunk, oldest first, each call within the window, nothing dropped.
 */
import { describe, expect, it } from 'vitest';
import { countTokens } from '../../src/core/tokens.js';
import { fakeModelEnv, useLlmEngine } from '../helpers/llm-engine.js';

const MARKER = 'You write the summary of one group';
const WINDOW = 1500;
const START = Date.parse('2026-03-01T10:00:00Z');

/** The fake's reply: every memory marker it was shown, those of the summary so far included. */
const reply = (user: string) => {
  const seen = [...new Set([...user.matchAll(/\bm(\d{2})\b/g)].map((m) => m[1]!))].sort();
  return `covers ${seen.map((n) => `m${n}`).join(' ')}`;
};

const t = useLlmEngine('am-views-', (llm) => {
  llm.responder = (c) => (c.system.includes(MARKER) ? reply(c.user) : 'ok');
});

const text = (i: number) =>
  `m${String(i).padStart(2, '0')} Alice wrote down detail ${i} of the garden project: which seeds went into ` +
  `bed ${i}, how much water they got, what the neighbour said about the fence, and when to check again.`;

describe('summary views over a small model window', () => {
  it('folds a large partition in several calls, oldest first, each within the window, covering every memory', async () => {
    const engine = await t.open({
      ...fakeModelEnv(t.llm),
      FAST_MODEL: 'fast-local',
      MODEL_CONTEXT_WINDOWS: JSON.stringify({ 'fast-local': WINDOW }),
      DEDUPLICATION_DISTANCE_THRESHOLD: '0',
    });
    const n = 40;
    await engine.longTerm.create(
      Array.from({ length: n }, (_, k) => ({
        id: `g${k + 1}`,
        text: text(k + 1),
        user_id: 'alice',
        created_at: new Date(START + (k + 1) * 60_000).toISOString(),
      })),
      { deduplicate: false },
    );
    const view = await engine.summaryViews.create({ source: 'long_term', group_by: ['user_id'] });
    const result = await engine.summaryViews.runPartition(view.id, { group: { user_id: 'alice' } });

    const calls = t.llm.callsWith(MARKER);
    expect(calls.length).toBeGreaterThan(1);
    for (const c of calls) expect(countTokens(`${c.system}\n${c.user}`)).toBeLessThan(WINDOW);
    // Each call after the first starts from the previous reply; memories come oldest first across calls.
    expect(calls[0]!.user).toContain('(none: these are the oldest memories of the group)');
    for (let i = 1; i < calls.length; i++) expect(calls[i]!.user).toContain(reply(calls[i - 1]!.user));
    const firstOf = (c: { user: string }) => Number(/- \[[^\]]*\] m(\d{2})/.exec(c.user)![1]);
    const order = calls.map(firstOf);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(order[0]).toBe(1);
    expect(result.memory_count).toBe(n);
    expect(result.empty).toBe(false);
    const covered = result.summary.split(' ').slice(1);
    expect(covered).toEqual(Array.from({ length: n }, (_, k) => `m${String(k + 1).padStart(2, '0')}`));
  });

  it('fails a full run whose model keeps failing, with the error in the task, and stores nothing', async () => {
    const engine = await t.open({
      ...fakeModelEnv(t.llm),
      TASK_MAX_ATTEMPTS: '1',
      LLM_MAX_RETRIES: '0',
      DEDUPLICATION_DISTANCE_THRESHOLD: '0',
    });
    t.llm.responder = (c) => (c.system.includes(MARKER) ? { status: 500, message: 'model exploded' } : 'ok');
    await engine.longTerm.create([{ id: 'x1', text: 'Alice likes tea', user_id: 'alice' }], { deduplicate: false });
    const view = await engine.summaryViews.create({ source: 'long_term', group_by: ['user_id'] });
    const queued = await engine.summaryViews.run(view.id, {});
    expect(queued).toMatchObject({ type: 'summary_view_full_run', status: 'pending', view_id: view.id });
    await engine.runBackgroundTasks();
    const task = await engine.getTask(queued.id);
    expect(task.status).toBe('failed');
    expect(task.error_message).toMatch(/model exploded|500/);
    expect(await engine.summaryViews.partitions(view.id, {})).toEqual([]);
  });

  it('fails the run of a view deleted before it started', async () => {
    const engine = await t.open(fakeModelEnv(t.llm));
    const view = await engine.summaryViews.create({ source: 'long_term' });
    const queued = await engine.summaryViews.run(view.id, {});
    await engine.summaryViews.delete(view.id);
    await engine.runBackgroundTasks();
    const task = await engine.getTask(queued.id);
    expect(task).toMatchObject({ status: 'failed', view_id: view.id });
    expect(task.error_message).toContain('deleted before its run');
  });

  it('refreshes a continuous view every SUMMARY_VIEW_REFRESH_EVERY_MINUTES until it is deleted', async () => {
    const engine = await t.open({
      ...fakeModelEnv(t.llm),
      SUMMARY_VIEW_REFRESH_EVERY_MINUTES: '30',
      DEDUPLICATION_DISTANCE_THRESHOLD: '0',
    });
    await engine.longTerm.create([{ id: 'y1', text: 'Alice likes tea', user_id: 'alice' }], { deduplicate: false });
    const view = await engine.summaryViews.create({ source: 'long_term', group_by: ['user_id'], continuous: true });
    expect(view.continuous).toBe(true);
    await engine.runBackgroundTasks();
    const groups = async () => (await engine.summaryViews.partitions(view.id, {})).map((p) => p.group.user_id).sort();
    expect(await groups()).toEqual(['alice']);
    const next = await engine.store.tasks.nextDue();
    expect(next).not.toBeNull();
    expect(next! - Date.now()).toBeGreaterThan(29 * 60_000);
    expect(next! - Date.now()).toBeLessThanOrEqual(30 * 60_000);

    await engine.longTerm.create([{ id: 'y2', text: 'Bob likes coffee', user_id: 'bob' }], { deduplicate: false });
    await engine.runBackgroundTasks(); // the new memory's own tasks; the refresh is not due yet
    expect(await groups()).toEqual(['alice']);
    await engine.runBackgroundTasks(Date.now() + 31 * 60_000);
    expect(await groups()).toEqual(['alice', 'bob']);

    await engine.summaryViews.delete(view.id);
    await engine.runBackgroundTasks(Date.now() + 62 * 60_000);
    expect(await engine.store.tasks.nextDue()).toBeNull();
  });
});
