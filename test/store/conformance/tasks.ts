import { expect, it } from 'vitest';
import type { EnqueueOptions } from '../../../src/store/tasks.js';
import type { StoreContext } from './context.js';

const job = (extra: Partial<EnqueueOptions> = {}): EnqueueOptions => ({
  kind: 'job',
  payload: { n: 1 },
  runAt: 1000,
  maxAttempts: 3,
  ...extra,
});

/** The durable task queue (`store.tasks`): leases, attempts, debounce and retries, with explicit clock times. */
export function taskBehaviour(ctx: StoreContext): void {
  it('claims due tasks once, oldest due first, and records the outcome', async () => {
    const s = ctx.store;
    const late = await s.tasks.enqueue(job({ runAt: 2000 }), 0);
    const early = await s.tasks.enqueue(job({ runAt: 1000 }), 0);
    expect(await s.tasks.claim('w1', 100, 500)).toBeNull();
    const first = await s.tasks.claim('w1', 100, 5000);
    expect(first).toMatchObject({ id: early.id, status: 'running', attempts: 1, lease_owner: 'w1', lease_until: 5100 });
    expect((await s.tasks.claim('w2', 100, 5000))!.id).toBe(late.id);
    expect(await s.tasks.claim('w3', 100, 5000)).toBeNull();
    expect(await s.tasks.complete(early.id, 'w1', { done: true }, 5050)).toBe(true);
    expect(await s.tasks.get(early.id)).toMatchObject({
      status: 'success',
      result: { done: true },
      completed_at: 5050,
    });
    expect(await s.tasks.countByStatus()).toEqual({ pending: 0, running: 1, success: 1, failed: 0 });
  });

  it('gives an expired lease to another worker; the first can no longer finish it', async () => {
    const s = ctx.store;
    const t = await s.tasks.enqueue(job(), 0);
    await s.tasks.claim('w1', 100, 1000);
    expect(await s.tasks.claim('w2', 100, 1050)).toBeNull();
    expect(await s.tasks.extendLease(t.id, 'w1', 100, 1050)).toBe(true);
    expect(await s.tasks.claim('w2', 100, 1100)).toBeNull();
    const taken = await s.tasks.claim('w2', 100, 1200);
    expect(taken).toMatchObject({ id: t.id, lease_owner: 'w2', attempts: 2 });
    expect(await s.tasks.complete(t.id, 'w1', 'late', 1210)).toBe(false);
    expect(await s.tasks.extendLease(t.id, 'w1', 100, 1210)).toBe(false);
    expect(await s.tasks.complete(t.id, 'w2', 'ok', 1220)).toBe(true);
  });

  it('fails a task whose every attempt died with its worker', async () => {
    const s = ctx.store;
    const t = await s.tasks.enqueue(job({ maxAttempts: 2 }), 0);
    await s.tasks.claim('w1', 10, 1000);
    await s.tasks.claim('w2', 10, 1020);
    expect(await s.tasks.claim('w3', 10, 1040)).toBeNull();
    expect(await s.tasks.get(t.id)).toMatchObject({ status: 'failed', attempts: 2 });
  });

  it('debounces by key: postpone moves the pending task, keep leaves the earlier time', async () => {
    const s = ctx.store;
    const a = await s.tasks.enqueue(job({ dedupeKey: 'k', runAt: 1000, onDuplicate: 'postpone' }), 0);
    const b = await s.tasks.enqueue(job({ dedupeKey: 'k', runAt: 5000, onDuplicate: 'postpone' }), 10);
    expect(b.id).toBe(a.id);
    expect(b.run_at).toBe(5000);
    const c = await s.tasks.enqueue(job({ dedupeKey: 'k', runAt: 9000, onDuplicate: 'keep' }), 20);
    expect(c).toMatchObject({ id: a.id, run_at: 5000 });
    // While it runs, a new request for the same key queues a fresh task, so late messages are not missed.
    await s.tasks.claim('w', 100, 6000);
    const d = await s.tasks.enqueue(job({ dedupeKey: 'k', runAt: 7000 }), 6001);
    expect(d.id).not.toBe(a.id);
  });

  it('retries at the given time, or fails for good', async () => {
    const s = ctx.store;
    const t = await s.tasks.enqueue(job(), 0);
    await s.tasks.claim('w', 100, 1000);
    expect(await s.tasks.fail(t.id, 'w', 'boom', 3000, 1001)).toBe(true);
    expect(await s.tasks.get(t.id)).toMatchObject({ status: 'pending', run_at: 3000, last_error: 'boom' });
    expect(await s.tasks.nextDue()).toBe(3000);
    await s.tasks.claim('w', 100, 3000);
    await s.tasks.fail(t.id, 'w', 'boom again', null, 3001);
    expect(await s.tasks.get(t.id)).toMatchObject({ status: 'failed', last_error: 'boom again', attempts: 2 });
    expect(await s.tasks.purgeFinished(4000)).toBe(1);
    expect(await s.tasks.get(t.id)).toBeNull();
  });

  it('two workers claiming at once take different tasks, and each task once', async () => {
    const s = ctx.store;
    const ids = new Set<string>();
    for (let i = 0; i < 6; i++) ids.add((await s.tasks.enqueue(job({ runAt: 1000 + i }), 0)).id);
    const claims = await Promise.all(Array.from({ length: 8 }, (_, i) => s.tasks.claim(`w${i}`, 1000, 2000)));
    const taken = claims.filter((c) => c !== null).map((c) => c!.id);
    expect(taken).toHaveLength(6);
    expect(new Set(taken)).toEqual(ids);
    expect(await s.tasks.countByStatus()).toEqual({ pending: 0, running: 6, success: 0, failed: 0 });
  });
}
