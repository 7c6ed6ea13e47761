import { log } from '../../util/log.js';
import type { Db } from './open.js';

/** SQLite's answer when another connection holds the write lock. */
const isBusy = (err: unknown) => (err as { code?: string })?.code === 'SQLITE_BUSY';

const RETRY_FIRST_MS = 2;
const RETRY_MOST_MS = 100;

/**
 * Search accesses (access_count, last_accessed) written without waiting for the write lock. better-sqlite3 waits
 * for a lock inside the call, so the whole event loop stops for the busy timeout's sleeps; with several processes
 * on the file (`agent-memory api --workers N`), one write of accesses per search made every process wait for the
 * others: search throughput fell to 0.80× with two workers. So the write is tried without a busy timeout, and when
 * another process writes, the accesses wait here and are tried again a few milliseconds later (the wait doubling
 * up to 100 ms), merged with those that come meanwhile. Until they land, this process's reads do not see them, as
 * other processes' reads never see them at once. Closing the store writes what waits, waiting for the lock then.
 */
export class AccessWrites {
  /** id → accesses not yet written. */
  private waiting = new Map<string, number>();
  private latestMs = 0;
  private timer: NodeJS.Timeout | null = null;
  private retryMs = RETRY_FIRST_MS;
  /** The busy timeout off and back on, prepared once: db.pragma() would prepare each on every search. */
  private readonly noWait;
  private readonly wait;

  constructor(
    private readonly db: Db,
    busyTimeoutMs: number,
    /** Adds one access to each id, all stamped atMs, in one transaction. */
    private readonly write: (ids: string[], atMs: number) => void,
  ) {
    this.noWait = db.prepare('PRAGMA busy_timeout = 0');
    this.wait = db.prepare(`PRAGMA busy_timeout = ${Math.max(0, Math.floor(busyTimeoutMs))}`);
  }

  record(ids: string[], atMs: number): void {
    if (ids.length === 0) return;
    if (this.waiting.size === 0 && this.tryWrite(() => this.write(ids, atMs))) return;
    // Merged with what waits: counted per id, stamped with the latest time.
    for (const id of ids) this.waiting.set(id, (this.waiting.get(id) ?? 0) + 1);
    this.latestMs = Math.max(this.latestMs, atMs);
    this.schedule();
  }

  /** Writes what waits, waiting for the lock (closing). */
  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    try {
      this.writeWaiting();
    } catch (err) {
      log.warn(`could not record memory access: ${(err as Error).message}`);
    }
  }

  private schedule(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      let written: boolean;
      try {
        written = this.tryWrite(() => this.writeWaiting());
      } catch (err) {
        // Not the lock (the store closed, the disk is full): these accesses are dropped, as a crash would lose them.
        log.warn(`could not record memory access: ${(err as Error).message}`);
        this.waiting = new Map();
        written = true;
      }
      if (written) {
        this.retryMs = RETRY_FIRST_MS;
        return;
      }
      this.retryMs = Math.min(RETRY_MOST_MS, this.retryMs * 2);
      this.schedule();
    }, this.retryMs);
    this.timer.unref();
  }

  /** One call per round of repeats: an id accessed three times is counted three times. */
  private writeWaiting(): void {
    if (this.waiting.size === 0) return;
    const waiting = this.waiting;
    const at = this.latestMs;
    const run = this.db.transaction(() => {
      for (let round = 1; ; round++) {
        const ids = [...waiting.keys()].filter((id) => waiting.get(id)! >= round);
        if (ids.length === 0) return;
        this.write(ids, at);
      }
    });
    run.immediate();
    this.waiting = new Map();
  }

  /** Runs `fn` with no busy timeout: false when another connection holds the lock (nothing was written). */
  private tryWrite(fn: () => void): boolean {
    this.noWait.get();
    try {
      fn();
      return true;
    } catch (err) {
      if (isBusy(err)) return false;
      throw err;
    } finally {
      this.wait.get();
    }
  }
}
