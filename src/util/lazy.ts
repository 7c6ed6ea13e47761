/**
 * A value loaded once, on first `get()`. A failed load is not kept: the next `get()` tries again (a full disk
 * while building a file, a worker that failed to start).
 */
export class Lazy<T> {
  private pending: Promise<T> | undefined;

  constructor(private readonly load: () => Promise<T>) {}

  get(): Promise<T> {
    if (!this.pending) {
      const p = this.load();
      this.pending = p;
      p.catch(() => {
        if (this.pending === p) this.pending = undefined;
      });
    }
    return this.pending;
  }

  /** Forgets the value and returns what was loading or loaded, for the caller to release. */
  take(): Promise<T> | undefined {
    const p = this.pending;
    this.pending = undefined;
    return p;
  }
}
