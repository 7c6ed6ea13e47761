import type { MemoryStore } from '../store/port.js';
import { log } from '../util/log.js';

/**
 * Records that search results were used (access_count, last_accessed) just after the search has answered rather
 * than before: its response does not wait for the write, and the accesses of searches answered in one turn of the
 * event loop are written together. Whatever reads records through this process (get, list, edit, search) flushes
 * first, so it always sees its own accesses and ranks by them; other processes see them a moment later. A batch
 * is stamped with its latest access time (its accesses are milliseconds apart). A crash can lose the accesses of
 * that moment, never a memory.
 */
export class AccessRecorder {
  /** id → accesses not yet written. */
  private pending = new Map<string, number>();
  private latestMs = 0;
  private scheduled: NodeJS.Immediate | null = null;
  private writing: Promise<void> = Promise.resolve();

  constructor(private readonly store: MemoryStore) {}

  record(ids: string[], atMs: number): void {
    // A read-only store keeps no access counts: the search itself must still answer.
    if (this.store.readOnly) return;
    for (const id of ids) this.pending.set(id, (this.pending.get(id) ?? 0) + 1);
    this.latestMs = Math.max(this.latestMs, atMs);
    this.scheduled ??= setImmediate(() => void this.flush());
  }

  /**
   * Writes what is pending (and waits for a write already under way). Never throws: accesses that cannot be
   * written (the store is down) are logged and dropped, and the read that flushed goes on to report the store.
   */
  async flush(): Promise<void> {
    if (this.scheduled) clearImmediate(this.scheduled);
    this.scheduled = null;
    if (this.pending.size > 0) {
      const pending = this.pending;
      const at = this.latestMs;
      this.pending = new Map();
      const previous = this.writing;
      this.writing = (async () => {
        await previous;
        // One call per round of repeats: an id searched three times in this turn is counted three times.
        for (let round = 1; pending.size > 0; round++) {
          const ids = [...pending.keys()];
          await this.store.recordAccess(ids, at);
          for (const id of ids) {
            if (pending.get(id)! <= round) pending.delete(id);
          }
        }
      })().catch((err) => log.warn(`could not record memory access: ${(err as Error).message}`));
    }
    await this.writing;
  }
}
