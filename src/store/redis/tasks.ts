import { conflict } from '../../errors.js';
import { ulid } from '../../util/ulid.js';
import type { EnqueueOptions, TaskRecord, TaskStatus, TaskStore } from '../tasks.js';
import type { RedisClient } from './client.js';
import type { Keys } from './keys.js';
import { globPrefix } from './keys.js';
import { scanKeys } from './scan.js';
import type { ScriptRunner } from './scripts.js';
import { pairs } from './session-codec.js';
import { CLAIM, COMPLETE, DELETE_TASKS, ENQUEUE, EXTEND_LEASE, FAIL, PURGE_FINISHED, RELEASE } from './task-scripts.js';

const STATUSES: TaskStatus[] = ['pending', 'running', 'success', 'failed'];

const numOrNull = (v: string | undefined) => (v === undefined ? null : Number(v));

function toRecord(flat: string[]): TaskRecord {
  const h = pairs(flat);
  return {
    id: h.id!,
    kind: h.kind!,
    payload: JSON.parse(h.payload ?? '{}') as Record<string, unknown>,
    status: h.status as TaskStatus,
    attempts: Number(h.attempts ?? 0),
    max_attempts: Number(h.max_attempts ?? 0),
    run_at: Number(h.run_at),
    dedupe_key: h.dedupe_key ?? null,
    lease_owner: h.lease_owner ?? null,
    lease_until: numOrNull(h.lease_until),
    last_error: h.last_error ?? null,
    result: h.result === undefined ? null : (JSON.parse(h.result) as unknown),
    created_at: Number(h.created_at),
    updated_at: Number(h.updated_at),
    started_at: numOrNull(h.started_at),
    completed_at: numOrNull(h.completed_at),
  };
}

/**
 * The task queue (store/tasks.ts) on Redis, for workers in several processes sharing one Redis. Each transition
 * is one Lua script (task-scripts.ts), so two workers never claim the same task, and every change after a claim
 * checks the lease owner, as in the SQLite queue. Script keys are derived from the base inside the scripts; they
 * all share the store's hash tag (one Cluster slot).
 */
export class RedisTaskStore implements TaskStore {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly scripts: ScriptRunner,
    private readonly guard: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  private run<T>(source: string, args: (string | number)[]): Promise<T> {
    return this.guard(() => this.scripts.run<T>(source, [this.keys.meta], [this.keys.base, ...args]));
  }

  async enqueue(o: EnqueueOptions, now: number): Promise<TaskRecord> {
    const flat = await this.run<string[] | null>(ENQUEUE, [
      o.id ?? ulid(now),
      o.kind,
      JSON.stringify(o.payload),
      o.dedupeKey ?? '',
      o.maxAttempts,
      o.runAt,
      now,
      o.onDuplicate ?? 'postpone',
      o.id === undefined ? '0' : '1',
    ]);
    if (!flat) throw conflict(`A task with id "${o.id}" already exists; choose another task_id.`);
    return toRecord(flat);
  }

  async claim(owner: string, leaseMs: number, now: number): Promise<TaskRecord | null> {
    const flat = await this.run<string[] | null>(CLAIM, [owner, leaseMs, now]);
    return flat ? toRecord(flat) : null;
  }

  async extendLease(id: string, owner: string, leaseMs: number, now: number): Promise<boolean> {
    return (await this.run<number>(EXTEND_LEASE, [id, owner, leaseMs, now])) === 1;
  }

  async complete(id: string, owner: string, result: unknown, now: number): Promise<boolean> {
    return (await this.run<number>(COMPLETE, [id, owner, JSON.stringify(result ?? null), now])) === 1;
  }

  async fail(id: string, owner: string, error: string, retryAt: number | null, now: number): Promise<boolean> {
    return (await this.run<number>(FAIL, [id, owner, error, retryAt ?? '', now])) === 1;
  }

  async release(id: string, owner: string, now: number): Promise<boolean> {
    return (await this.run<number>(RELEASE, [id, owner, now])) === 1;
  }

  /** Deletes every task whose payload names this user, in any state (erasing a user). Scans: maintenance only. */
  async deleteForUser(userId: string, namespace?: string): Promise<number> {
    const prefix = `${this.keys.base}task:`;
    let total = 0;
    for await (const batch of scanKeys(this.client, globPrefix(prefix))) {
      const pipe = this.client.pipeline();
      for (const key of batch) pipe.hget(key, 'payload');
      const replies = (await pipe.exec()) ?? [];
      const ids = batch.flatMap((key, i) => {
        const payload = replies[i]?.[1];
        if (typeof payload !== 'string') return [];
        try {
          const p = JSON.parse(payload) as { user_id?: unknown; namespace?: unknown };
          const mine = p.user_id === userId && (namespace === undefined || p.namespace === namespace);
          return mine ? [key.slice(prefix.length)] : [];
        } catch {
          return [];
        }
      });
      if (ids.length) total += Number(await this.run(DELETE_TASKS, ids));
    }
    return total;
  }

  async get(id: string): Promise<TaskRecord | null> {
    const flat = (await this.guard(() => this.client.hgetall(`${this.keys.base}task:${id}`))) as Record<string, string>;
    if (!flat.id) return null;
    return toRecord(Object.entries(flat).flat());
  }

  async nextDue(): Promise<number | null> {
    const first = await this.guard(() => this.client.zrange(`${this.keys.base}tasks:due`, '0', '0', 'WITHSCORES'));
    return first.length === 2 ? Number(first[1]) : null;
  }

  async purgeFinished(before: number): Promise<number> {
    return Number(await this.run(PURGE_FINISHED, [before]));
  }

  async countByStatus(): Promise<Record<TaskStatus, number>> {
    const pipe = this.client.pipeline();
    for (const s of STATUSES) pipe.scard(`${this.keys.base}tasks:${s}`);
    const replies = (await this.guard(() => pipe.exec())) ?? [];
    const out = { pending: 0, running: 0, success: 0, failed: 0 };
    STATUSES.forEach((s, i) => {
      out[s] = Number(replies[i]?.[1] ?? 0);
    });
    return out;
  }
}
