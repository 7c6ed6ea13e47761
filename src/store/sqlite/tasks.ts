import { conflict } from '../../errors.js';
import { ulid } from '../../util/ulid.js';
import type { EnqueueOptions, TaskRecord, TaskStatus, TaskStore } from '../tasks.js';
import type { Db } from './open.js';
import type { StatementCache } from './statements.js';

interface TaskRow {
  id: string;
  kind: string;
  payload: string;
  status: TaskStatus;
  dedupe_key: string | null;
  attempts: number;
  max_attempts: number;
  run_at: number;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  result: string | null;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  completed_at: number | null;
}

const toRecord = (r: TaskRow): TaskRecord => ({
  ...r,
  payload: JSON.parse(r.payload) as Record<string, unknown>,
  result: r.result === null ? null : (JSON.parse(r.result) as unknown),
});

// The earliest claimable task: a due pending one, or a running one whose worker's lease ran out.
const CLAIMABLE = `SELECT * FROM tasks
  WHERE (status = 'pending' AND run_at <= @now) OR (status = 'running' AND lease_until <= @now)
  ORDER BY coalesce(CASE WHEN status = 'running' THEN lease_until END, run_at), created_at LIMIT 1`;

/**
 * The task queue on SQLite. Claims run in IMMEDIATE transactions, so workers in several processes sharing the file
 * never take the same task; every state change after a claim checks the lease owner, so a worker whose lease
 * expired cannot overwrite the outcome of the worker that took over.
 */
export class SqliteTaskStore implements TaskStore {
  private readonly enqueueTx;
  private readonly claimTx;

  constructor(
    db: Db,
    private readonly stmts: StatementCache,
  ) {
    this.enqueueTx = db.transaction((o: EnqueueOptions, now: number) => this.enqueueNow(o, now));
    this.claimTx = db.transaction((owner: string, leaseMs: number, now: number) => this.claimNow(owner, leaseMs, now));
  }

  async enqueue(opts: EnqueueOptions, now: number): Promise<TaskRecord> {
    return this.enqueueTx.immediate(opts, now);
  }

  private enqueueNow(o: EnqueueOptions, now: number): TaskRecord {
    if (o.id !== undefined && this.stmts.get('SELECT 1 FROM tasks WHERE id = ?').get(o.id)) {
      throw conflict(`A task with id "${o.id}" already exists; choose another task_id.`);
    }
    const values = {
      id: o.id ?? ulid(now),
      kind: o.kind,
      payload: JSON.stringify(o.payload),
      dedupe_key: o.dedupeKey ?? null,
      max_attempts: o.maxAttempts,
      run_at: o.runAt,
      now,
    };
    if (o.dedupeKey) {
      const runAt = o.onDuplicate === 'keep' ? 'min(run_at, @run_at)' : '@run_at';
      const updated = this.stmts
        .get(
          `UPDATE tasks SET run_at = ${runAt}, payload = @payload, updated_at = @now
           WHERE dedupe_key = @dedupe_key AND status = 'pending' RETURNING *`,
        )
        .get(values) as TaskRow | undefined;
      if (updated) return toRecord(updated);
    }
    const row = this.stmts
      .get(
        `INSERT INTO tasks (id, kind, payload, status, dedupe_key, attempts, max_attempts, run_at, created_at, updated_at)
         VALUES (@id, @kind, @payload, 'pending', @dedupe_key, 0, @max_attempts, @run_at, @now, @now) RETURNING *`,
      )
      .get(values) as TaskRow;
    return toRecord(row);
  }

  async claim(owner: string, leaseMs: number, now: number): Promise<TaskRecord | null> {
    return this.claimTx.immediate(owner, leaseMs, now);
  }

  private claimNow(owner: string, leaseMs: number, now: number): TaskRecord | null {
    for (;;) {
      const row = this.stmts.get(CLAIMABLE).get({ now }) as TaskRow | undefined;
      if (!row) return null;
      if (row.status === 'running' && row.attempts >= row.max_attempts) {
        // Every attempt ended with a dead worker (a crash, or a task that kills its process): stop trying.
        this.stmts
          .get(
            `UPDATE tasks SET status = 'failed', lease_owner = NULL, lease_until = NULL, completed_at = ?,
               updated_at = ?, last_error = coalesce(last_error, 'the worker stopped before finishing, on every attempt')
             WHERE id = ?`,
          )
          .run(now, now, row.id);
        continue;
      }
      const claimed = this.stmts
        .get(
          `UPDATE tasks SET status = 'running', lease_owner = ?, lease_until = ?, attempts = attempts + 1,
             started_at = coalesce(started_at, ?), updated_at = ?
           WHERE id = ? RETURNING *`,
        )
        .get(owner, now + leaseMs, now, now, row.id) as TaskRow;
      return toRecord(claimed);
    }
  }

  async extendLease(id: string, owner: string, leaseMs: number, now: number): Promise<boolean> {
    return (
      this.stmts
        .get(`UPDATE tasks SET lease_until = ?, updated_at = ? WHERE id = ? AND lease_owner = ? AND status = 'running'`)
        .run(now + leaseMs, now, id, owner).changes > 0
    );
  }

  async complete(id: string, owner: string, result: unknown, now: number): Promise<boolean> {
    return (
      this.stmts
        .get(
          `UPDATE tasks SET status = 'success', result = ?, lease_owner = NULL, lease_until = NULL, completed_at = ?,
             updated_at = ?, last_error = NULL
           WHERE id = ? AND lease_owner = ? AND status = 'running'`,
        )
        .run(JSON.stringify(result ?? null), now, now, id, owner).changes > 0
    );
  }

  async fail(id: string, owner: string, error: string, retryAt: number | null, now: number): Promise<boolean> {
    const sql =
      retryAt === null
        ? `UPDATE tasks SET status = 'failed', last_error = @error, lease_owner = NULL, lease_until = NULL,
             completed_at = @now, updated_at = @now
           WHERE id = @id AND lease_owner = @owner AND status = 'running'`
        : `UPDATE tasks SET status = 'pending', last_error = @error, lease_owner = NULL, lease_until = NULL,
             run_at = @retryAt, updated_at = @now
           WHERE id = @id AND lease_owner = @owner AND status = 'running'`;
    try {
      return this.stmts.get(sql).run({ id, owner, error, retryAt, now }).changes > 0;
    } catch (err) {
      // Back to pending collides with a newer pending task of the same dedupe key: that one covers this work.
      if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
      return this.fail(id, owner, `${error} (superseded by a newer task)`, null, now);
    }
  }

  async release(id: string, owner: string, now: number): Promise<boolean> {
    try {
      return (
        this.stmts
          .get(
            `UPDATE tasks SET status = 'pending', lease_owner = NULL, lease_until = NULL, run_at = ?, updated_at = ?,
               attempts = max(0, attempts - 1)
             WHERE id = ? AND lease_owner = ? AND status = 'running'`,
          )
          .run(now, now, id, owner).changes > 0
      );
    } catch (err) {
      if ((err as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw err;
      // A newer pending task with the same key covers this one.
      return this.fail(id, owner, 'superseded by a newer task', null, now);
    }
  }

  async get(id: string): Promise<TaskRecord | null> {
    const row = this.stmts.get('SELECT * FROM tasks WHERE id = ?').get(id) as TaskRow | undefined;
    return row ? toRecord(row) : null;
  }

  async nextDue(): Promise<number | null> {
    const { at } = this.stmts
      .get(
        `SELECT min(t) AS at FROM (
           SELECT min(run_at) AS t FROM tasks WHERE status = 'pending'
           UNION ALL SELECT min(lease_until) FROM tasks WHERE status = 'running')`,
      )
      .get() as { at: number | null };
    return at;
  }

  async purgeFinished(before: number): Promise<number> {
    return this.stmts.get(`DELETE FROM tasks WHERE status IN ('success', 'failed') AND completed_at < ?`).run(before)
      .changes;
  }

  async countByStatus(): Promise<Record<TaskStatus, number>> {
    const out: Record<TaskStatus, number> = { pending: 0, running: 0, success: 0, failed: 0 };
    const rows = this.stmts.get('SELECT status, count(*) AS n FROM tasks GROUP BY status').all() as {
      status: TaskStatus;
      n: number;
    }[];
    for (const r of rows) out[r.status] = r.n;
    return out;
  }
}
