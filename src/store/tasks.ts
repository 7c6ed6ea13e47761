/**
 * The durable background queue, as a port: SQLite implements it now (store/sqlite/tasks.ts), a Redis adapter can
 * later. Workers claim a task with a lease (visibility timeout); a worker that dies leaves its lease to expire and
 * another worker, in this process or another, picks the task up again. All times are epoch milliseconds.
 */
export type TaskStatus = 'pending' | 'running' | 'success' | 'failed';

export interface TaskRecord {
  id: string;
  kind: string;
  payload: Record<string, unknown>;
  status: TaskStatus;
  /** Claims so far, including one whose worker died. */
  attempts: number;
  max_attempts: number;
  /** When a pending task becomes due. */
  run_at: number;
  dedupe_key: string | null;
  lease_owner: string | null;
  lease_until: number | null;
  last_error: string | null;
  result: unknown;
  created_at: number;
  updated_at: number;
  started_at: number | null;
  completed_at: number | null;
}

export interface EnqueueOptions {
  /** The task's id (a client-chosen one); generated when absent. A taken id is a MemoryError('conflict'). */
  id?: string;
  kind: string;
  payload: Record<string, unknown>;
  runAt: number;
  maxAttempts: number;
  /**
   * At most one pending task per key. Enqueueing again while one is pending updates it instead: `postpone` moves
   * it to the new run_at (a debounce: "30 s after the last message"), `keep` leaves the earlier time.
   */
  dedupeKey?: string;
  onDuplicate?: 'postpone' | 'keep';
}

export interface TaskStore {
  enqueue(opts: EnqueueOptions, now: number): Promise<TaskRecord>;
  /**
   * Atomically takes the earliest due task, pending or running with an expired lease, for `owner` until
   * now + leaseMs, counting an attempt. A task whose attempts are used up by dead workers is failed instead.
   */
  claim(owner: string, leaseMs: number, now: number): Promise<TaskRecord | null>;
  /** Keeps a long task's lease; false when the lease was lost (it expired and someone else claimed the task). */
  extendLease(id: string, owner: string, leaseMs: number, now: number): Promise<boolean>;
  complete(id: string, owner: string, result: unknown, now: number): Promise<boolean>;
  /** `retryAt` null fails the task for good; otherwise it is pending again from then. */
  fail(id: string, owner: string, error: string, retryAt: number | null, now: number): Promise<boolean>;
  /** Gives a claimed task back unstarted (shutdown): pending at once, the attempt not counted. */
  release(id: string, owner: string, now: number): Promise<boolean>;
  get(id: string): Promise<TaskRecord | null>;
  /** The earliest moment any task becomes claimable, or null when none is waiting. */
  nextDue(): Promise<number | null>;
  /** Deletes finished tasks completed before `before`; returns how many. */
  purgeFinished(before: number): Promise<number>;
  countByStatus(): Promise<Record<TaskStatus, number>>;
}
