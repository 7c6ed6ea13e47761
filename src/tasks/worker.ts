import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { MemoryError } from '../errors.js';
import type { TaskRecord, TaskStore } from '../store/tasks.js';
import { withActor } from '../util/actor.js';
import { log } from '../util/log.js';

export interface TaskContext {
  /** Aborted when the worker stops; long handlers should give up and let the task be retried. */
  signal: AbortSignal;
}

/** Runs one task; what it returns is stored as the task's result. Throwing retries it (or fails it for good). */
export type TaskHandler = (task: TaskRecord, ctx: TaskContext) => Promise<unknown>;

export interface WorkerOptions {
  leaseMs: number;
  /** How often an idle worker looks for tasks enqueued by other processes. */
  pollMs: number;
  /** Tasks run at once by this worker. */
  concurrency?: number;
  /** First retry delay; doubled per attempt, with jitter, up to maxBackoffMs. */
  baseBackoffMs?: number;
  maxBackoffMs?: number;
  /** Finished tasks are deleted after this long. */
  retentionMs?: number;
}

const DAY_MS = 86_400_000;

/** The owner name in leases: readable in the tasks table, unique per worker. */
const ownerName = () => `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;

/** Errors that will fail the same way on every attempt: bad input, or something deleted meanwhile. */
const isPermanent = (err: unknown) =>
  err instanceof MemoryError && (err.kind === 'invalid' || err.kind === 'not_found' || err.kind === 'forbidden');

/**
 * Runs durable tasks from a TaskStore. Claims use a lease that is renewed while a task runs, so any number of
 * workers, in this process or others sharing the store, can run side by side, and a task whose worker died is
 * picked up again once its lease runs out.
 */
export class TaskWorker {
  readonly owner = ownerName();
  private running = false;
  private loops: Promise<void>[] = [];
  private readonly sleepers = new Set<() => void>();
  private readonly stopping = new AbortController();
  private lastPurge = 0;
  /** Tasks this worker is running now, so stop() can hand back those that outlive the grace period. */
  private readonly current = new Set<string>();

  constructor(
    private readonly store: TaskStore,
    private readonly handlers: ReadonlyMap<string, TaskHandler>,
    private readonly opts: WorkerOptions,
  ) {}

  get started(): boolean {
    return this.running;
  }

  /** Starts the polling loops; idempotent. */
  start(): void {
    if (this.running || this.stopping.signal.aborted) return;
    this.running = true;
    this.loops = Array.from({ length: this.opts.concurrency ?? 1 }, () => this.loop());
  }

  /** Ends an idle wait early: a task was just enqueued in this process. */
  wake(): void {
    for (const wakeUp of [...this.sleepers]) wakeUp();
  }

  /**
   * Stops claiming, signals running handlers and waits for them up to `graceMs`; tasks still running then are
   * released (pending again at once), so another worker takes them without waiting for the lease to run out.
   */
  async stop(graceMs = 5_000): Promise<void> {
    if (this.stopping.signal.aborted) return;
    this.stopping.abort();
    this.running = false;
    this.wake();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled(this.loops),
      new Promise((resolve) => {
        timer = setTimeout(resolve, graceMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
    for (const id of [...this.current]) {
      const released = await this.store.release(id, this.owner, Date.now()).catch(() => false);
      if (released) log.info('task released on shutdown', { id });
    }
  }

  /**
   * Runs every task due at `now` (later tasks too, given a later `now`) one after another, then returns how many
   * ran. For tests and one-shot commands; the loops do the same continuously.
   */
  async runDue(now = Date.now()): Promise<number> {
    let n = 0;
    for (;;) {
      const task = await this.store.claim(this.owner, this.opts.leaseMs, now);
      if (!task) return n;
      await this.execute(task);
      n++;
    }
  }

  private async loop(): Promise<void> {
    while (this.running) {
      let task: TaskRecord | null = null;
      try {
        task = await this.store.claim(this.owner, this.opts.leaseMs, Date.now());
        if (task) await this.execute(task);
        else await this.idle();
        await this.purge();
      } catch (err) {
        // The store failed (closed, disk full): keep the loop alive, but do not spin.
        if (!this.running) return;
        log.error('task worker: store error', { error: err instanceof Error ? err.message : String(err) });
        await this.sleep(this.opts.pollMs);
      }
    }
  }

  private async idle(): Promise<void> {
    const next = await this.store.nextDue();
    const wait = next === null ? this.opts.pollMs : Math.min(this.opts.pollMs, Math.max(10, next - Date.now()));
    await this.sleep(wait);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.sleepers.delete(done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      // An idle worker must not keep a finished command alive: pending tasks are durable and wait for the next run.
      timer.unref();
      this.sleepers.add(done);
    });
  }

  private async execute(task: TaskRecord): Promise<void> {
    const handler = this.handlers.get(task.kind);
    const started = Date.now();
    if (!handler) {
      await this.store.fail(task.id, this.owner, `no handler for task kind "${task.kind}"`, null, Date.now());
      return;
    }
    // Renew the lease at a third of its length, so a slow LLM call never lets another worker take the task.
    const renew = setInterval(
      () => {
        this.store.extendLease(task.id, this.owner, this.opts.leaseMs, Date.now()).catch(() => {});
      },
      Math.max(50, Math.floor(this.opts.leaseMs / 3)),
    );
    renew.unref();
    this.current.add(task.id);
    try {
      // A task acts for the server, not for the request whose write queued it (or started this worker).
      const result = await withActor(`server:${task.kind}`, () => handler(task, { signal: this.stopping.signal }));
      clearInterval(renew);
      if (!(await this.store.complete(task.id, this.owner, result ?? null, Date.now()))) {
        log.warn('task finished after its lease was lost; its result was discarded', { id: task.id, kind: task.kind });
      } else {
        log.debug('task done', { id: task.id, kind: task.kind, ms: Date.now() - started });
      }
    } catch (err) {
      clearInterval(renew);
      const message = err instanceof Error ? err.message : String(err);
      const final = isPermanent(err) || task.attempts >= task.max_attempts;
      const retryAt = final ? null : Date.now() + this.backoff(task.attempts);
      log.warn(final ? 'task failed' : 'task failed, will retry', {
        id: task.id,
        kind: task.kind,
        attempt: task.attempts,
        max_attempts: task.max_attempts,
        error: message,
        ...(retryAt === null ? {} : { retry_in_ms: retryAt - Date.now() }),
      });
      await this.store.fail(task.id, this.owner, message, retryAt, Date.now()).catch(() => {});
    } finally {
      this.current.delete(task.id);
    }
  }

  private backoff(attempts: number): number {
    const base = this.opts.baseBackoffMs ?? 2_000;
    const cap = this.opts.maxBackoffMs ?? 600_000;
    return Math.round(Math.min(cap, base * 2 ** Math.max(0, attempts - 1)) * (0.75 + Math.random() / 2));
  }

  private async purge(): Promise<void> {
    const now = Date.now();
    if (now - this.lastPurge < 3_600_000) return;
    this.lastPurge = now;
    const n = await this.store.purgeFinished(now - (this.opts.retentionMs ?? 7 * DAY_MS));
    if (n) log.debug('purged finished tasks', { count: n });
  }
}
