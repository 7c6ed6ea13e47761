import { conflict } from '../../errors.js';
import { ulid } from '../../util/ulid.js';
import type { EnqueueOptions, TaskRecord, TaskStatus, TaskStore } from '../tasks.js';
import type { Db } from './client.js';

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

const isUniqueViolation = (err: unknown) => (err as { code?: string }).code === '23505';
const constraintOf = (err: unknown) => (err as { constraint?: string }).constraint;

/**
 * The task queue on PostgreSQL. A claim locks the earliest claimable row with FOR UPDATE SKIP LOCKED, so workers in
 * any number of processes each take a different task without waiting on one another; every state change after a
 * claim checks the lease owner, so a worker whose lease expired cannot overwrite the outcome of the one that took
 * over. The partial unique index on pending dedupe keys makes a debounced enqueue one atomic upsert.
 */
export class PostgresTaskStore implements TaskStore {
  constructor(private readonly db: Db) {}

  async enqueue(o: EnqueueOptions, now: number): Promise<TaskRecord> {
    if (o.id !== undefined && (await this.db.one('SELECT 1 FROM tasks WHERE id = $1', [o.id]))) {
      throw taken(o.id);
    }
    const runAt = o.onDuplicate === 'keep' ? 'least(tasks.run_at, EXCLUDED.run_at)' : 'EXCLUDED.run_at';
    try {
      const row = await this.db.one<TaskRow>(
        `INSERT INTO tasks (id, kind, payload, status, dedupe_key, attempts, max_attempts, run_at, created_at, updated_at)
         VALUES ($1, $2, $3, 'pending', $4, 0, $5, $6, $7, $7)
         ${
           o.dedupeKey
             ? `ON CONFLICT (dedupe_key) WHERE status = 'pending' AND dedupe_key IS NOT NULL
                DO UPDATE SET run_at = ${runAt}, payload = EXCLUDED.payload, updated_at = EXCLUDED.updated_at`
             : ''
         }
         RETURNING *`,
        [o.id ?? ulid(now), o.kind, JSON.stringify(o.payload), o.dedupeKey ?? null, o.maxAttempts, o.runAt, now],
      );
      return toRecord(row!);
    } catch (err) {
      // Another process took the chosen id between the check and the insert.
      if (o.id !== undefined && isUniqueViolation(err) && constraintOf(err) === 'tasks_pkey') throw taken(o.id);
      throw err;
    }
  }

  claim(owner: string, leaseMs: number, now: number): Promise<TaskRecord | null> {
    return this.db.tx(async (t) => {
      for (;;) {
        // The earliest claimable task: a due pending one, or a running one whose worker's lease ran out.
        const row = await t.one<TaskRow>(
          `SELECT * FROM tasks
           WHERE (status = 'pending' AND run_at <= $1) OR (status = 'running' AND lease_until <= $1)
           ORDER BY coalesce(CASE WHEN status = 'running' THEN lease_until END, run_at), created_at
           LIMIT 1 FOR UPDATE SKIP LOCKED`,
          [now],
        );
        if (!row) return null;
        if (row.status === 'running' && row.attempts >= row.max_attempts) {
          // Every attempt ended with a dead worker (a crash, or a task that kills its process): stop trying.
          await t.run(
            `UPDATE tasks SET status = 'failed', lease_owner = NULL, lease_until = NULL, completed_at = $1,
               updated_at = $1, last_error = coalesce(last_error, 'the worker stopped before finishing, on every attempt')
             WHERE id = $2`,
            [now, row.id],
          );
          continue;
        }
        const claimed = await t.one<TaskRow>(
          `UPDATE tasks SET status = 'running', lease_owner = $1, lease_until = $2, attempts = attempts + 1,
             started_at = coalesce(started_at, $3), updated_at = $3
           WHERE id = $4 RETURNING *`,
          [owner, now + leaseMs, now, row.id],
        );
        return toRecord(claimed!);
      }
    });
  }

  async extendLease(id: string, owner: string, leaseMs: number, now: number): Promise<boolean> {
    const n = await this.db.run(
      `UPDATE tasks SET lease_until = $1, updated_at = $2 WHERE id = $3 AND lease_owner = $4 AND status = 'running'`,
      [now + leaseMs, now, id, owner],
    );
    return n > 0;
  }

  async complete(id: string, owner: string, result: unknown, now: number): Promise<boolean> {
    const n = await this.db.run(
      `UPDATE tasks SET status = 'success', result = $1, lease_owner = NULL, lease_until = NULL, completed_at = $2,
         updated_at = $2, last_error = NULL
       WHERE id = $3 AND lease_owner = $4 AND status = 'running'`,
      [JSON.stringify(result ?? null), now, id, owner],
    );
    return n > 0;
  }

  async fail(id: string, owner: string, error: string, retryAt: number | null, now: number): Promise<boolean> {
    const sql =
      retryAt === null
        ? `UPDATE tasks SET status = 'failed', last_error = $1, lease_owner = NULL, lease_until = NULL,
             completed_at = $2, updated_at = $2
           WHERE id = $3 AND lease_owner = $4 AND status = 'running'`
        : `UPDATE tasks SET status = 'pending', last_error = $1, lease_owner = NULL, lease_until = NULL,
             run_at = $5, updated_at = $2
           WHERE id = $3 AND lease_owner = $4 AND status = 'running'`;
    try {
      const params = retryAt === null ? [error, now, id, owner] : [error, now, id, owner, retryAt];
      return (await this.db.run(sql, params)) > 0;
    } catch (err) {
      // Back to pending collides with a newer pending task of the same dedupe key: that one covers this work.
      if (!isUniqueViolation(err)) throw err;
      return this.fail(id, owner, `${error} (superseded by a newer task)`, null, now);
    }
  }

  async release(id: string, owner: string, now: number): Promise<boolean> {
    try {
      const n = await this.db.run(
        `UPDATE tasks SET status = 'pending', lease_owner = NULL, lease_until = NULL, run_at = $1, updated_at = $1,
           attempts = greatest(0, attempts - 1)
         WHERE id = $2 AND lease_owner = $3 AND status = 'running'`,
        [now, id, owner],
      );
      return n > 0;
    } catch (err) {
      if (!isUniqueViolation(err)) throw err;
      // A newer pending task with the same key covers this one.
      return this.fail(id, owner, 'superseded by a newer task', null, now);
    }
  }

  async get(id: string): Promise<TaskRecord | null> {
    const row = await this.db.one<TaskRow>('SELECT * FROM tasks WHERE id = $1', [id]);
    return row ? toRecord(row) : null;
  }

  async nextDue(): Promise<number | null> {
    const row = await this.db.one<{ at: number | null }>(
      `SELECT least(
         (SELECT min(run_at) FROM tasks WHERE status = 'pending'),
         (SELECT min(lease_until) FROM tasks WHERE status = 'running')) AS at`,
    );
    return row?.at ?? null;
  }

  async purgeFinished(before: number): Promise<number> {
    return this.db.run(`DELETE FROM tasks WHERE status IN ('success', 'failed') AND completed_at < $1`, [before]);
  }

  async countByStatus(): Promise<Record<TaskStatus, number>> {
    const out: Record<TaskStatus, number> = { pending: 0, running: 0, success: 0, failed: 0 };
    const rows = await this.db.rows<{ status: TaskStatus; n: number }>(
      'SELECT status, count(*) AS n FROM tasks GROUP BY status',
    );
    for (const r of rows) out[r.status] = r.n;
    return out;
  }
}

const taken = (id: string) => conflict(`A task with id "${id}" already exists; choose another task_id.`);
