import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/core/engine.js';
import { MemoryError } from '../../src/errors.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import type { TaskRecord } from '../../src/store/tasks.js';
import { type TaskHandler, TaskWorker } from '../../src/tasks/worker.js';

let dir: string;
let path: string;
const open: SqliteStore[] = [];

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'am-tasks-'));
  path = join(dir, 'm.db');
});
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function store(): Promise<SqliteStore> {
  const s = await openSqliteStore({ path });
  open.push(s);
  return s;
}
const job = (extra: Partial<Parameters<SqliteStore['tasks']['enqueue']>[0]> = {}) => ({
  kind: 'job',
  payload: { n: 1 },
  runAt: 1000,
  maxAttempts: 3,
  ...extra,
});
const worker = (s: SqliteStore, handlers: Record<string, TaskHandler>, leaseMs = 60_000) =>
  new TaskWorker(s.tasks, new Map(Object.entries(handlers)), { leaseMs, pollMs: 20, baseBackoffMs: 10 });

describe('the task worker', () => {
  it('survives a restart: enqueued, closed without running, reopened, the job runs', async () => {
    const before = await store();
    const t = await before.tasks.enqueue(job({ payload: { hello: 'world' }, runAt: Date.now() }), Date.now());
    await before.close();
    open.splice(0);

    const after = await store();
    const seen: TaskRecord[] = [];
    const w = worker(after, {
      job: async (task) => {
        seen.push(task);
        return { ran: true };
      },
    });
    w.start();
    await waitFor(async () => (await after.tasks.get(t.id))?.status === 'success');
    await w.stop();
    expect(seen.map((x) => x.payload)).toEqual([{ hello: 'world' }]);
    expect((await after.tasks.get(t.id))!.result).toEqual({ ran: true });
  });

  it('resumes a task whose process died mid-run, once the lease expires', async () => {
    const s = await store();
    const t = await s.tasks.enqueue(job({ runAt: Date.now() }), Date.now());
    // A worker that "crashed": it claimed the task and never finished it.
    await s.tasks.claim('dead-worker', 50, Date.now());
    const w = worker(s, { job: async () => 'recovered' }, 50);
    w.start();
    await waitFor(async () => (await s.tasks.get(t.id))?.status === 'success');
    await w.stop();
    expect(await s.tasks.get(t.id)).toMatchObject({ result: 'recovered', attempts: 2 });
  });

  it('retries with backoff, then succeeds; bad input fails at once', async () => {
    const s = await store();
    let calls = 0;
    const flaky = await s.tasks.enqueue(job({ runAt: Date.now() }), Date.now());
    const bad = await s.tasks.enqueue(job({ kind: 'bad', runAt: Date.now() }), Date.now());
    const unknown = await s.tasks.enqueue(job({ kind: 'nobody-handles-this', runAt: Date.now() }), Date.now());
    const w = worker(s, {
      job: async () => {
        calls += 1;
        if (calls < 3) throw new MemoryError('unavailable', `LLM down (${calls})`);
        return 'third time lucky';
      },
      bad: async () => {
        throw new MemoryError('invalid', 'custom_prompt rejected');
      },
    });
    w.start();
    await waitFor(async () => (await s.tasks.get(flaky.id))?.status === 'success');
    await w.stop();
    expect(calls).toBe(3);
    expect(await s.tasks.get(flaky.id)).toMatchObject({ attempts: 3, last_error: null });
    expect(await s.tasks.get(bad.id)).toMatchObject({
      status: 'failed',
      attempts: 1,
      last_error: 'custom_prompt rejected',
    });
    expect(await s.tasks.get(unknown.id)).toMatchObject({ status: 'failed', last_error: /no handler/ });
  });

  it('two workers on one file run each task exactly once', async () => {
    const a = await store();
    const b = await store();
    const runs = new Map<string, number>();
    const handler: TaskHandler = async (task) => {
      runs.set(task.id, (runs.get(task.id) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 2));
    };
    const ids: string[] = [];
    for (let i = 0; i < 40; i++) ids.push((await a.tasks.enqueue(job({ runAt: Date.now() }), Date.now())).id);
    const wa = worker(a, { job: handler });
    const wb = worker(b, { job: handler });
    wa.start();
    wb.start();
    await waitFor(async () => (await a.tasks.countByStatus()).success === 40);
    await Promise.all([wa.stop(), wb.stop()]);
    expect([...runs.values()].every((n) => n === 1)).toBe(true);
    expect(runs.size).toBe(40);
  });

  it('releases a task still running when stop() outlasts its grace, so another worker can take it at once', async () => {
    const s = await store();
    const t = await s.tasks.enqueue(job(), 0);
    let started = false;
    const w = worker(s, {
      job: () => {
        started = true;
        return new Promise(() => {}); // never finishes
      },
    });
    w.start();
    await waitFor(async () => started);
    expect(await s.tasks.get(t.id)).toMatchObject({ status: 'running', attempts: 1 });
    await w.stop(50);
    expect(await s.tasks.get(t.id)).toMatchObject({ status: 'pending', attempts: 0, lease_owner: null });
    expect(await s.tasks.claim('other', 60_000, Date.now())).toMatchObject({ id: t.id, attempts: 1 });
  });
});

describe('tasks through the engine', () => {
  it('reports a task by id, and a clear 404 for an unknown one', async () => {
    const engine = await openEngine(loadConfig({ SQLITE_PATH: path, LOG_LEVEL: 'silent' }), { autoStartWorker: false });
    try {
      await engine.workingMemory.put('s', { memories: [{ text: 'Alice likes tea' }] });
      const [row] =
        engine.store.kind === 'sqlite'
          ? ((engine.store as SqliteStore).db.prepare('SELECT id FROM tasks').all() as { id: string }[])
          : [];
      expect(await engine.getTask(row!.id)).toMatchObject({ type: 'promote_memories', status: 'pending', attempts: 0 });
      await engine.runBackgroundTasks();
      const done = await engine.getTask(row!.id);
      expect(done).toMatchObject({ status: 'success', error_message: null, result: { promoted: 1 } });
      expect(done.completed_at).toMatch(/^\d{4}-/);
      await expect(engine.getTask('nope')).rejects.toMatchObject({ status: 404 });
    } finally {
      await engine.close();
    }
  });
});

async function waitFor(check: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 10));
  }
}
