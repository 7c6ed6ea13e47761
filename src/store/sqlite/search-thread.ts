import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { type ErrorKind, MemoryError } from '../../errors.js';
import type { StoreFilter } from '../../models/filters.js';
import { log } from '../../util/log.js';
import { PACKAGE_ROOT } from '../../version.js';
import type { VectorPage } from '../port.js';
import type { VectorSearchTuning } from './search.js';
import type { SearchJob, SearchReply } from './search-worker.js';

/** The compiled worker: tests run the TypeScript sources, but the suite's setup builds dist/ first. */
const WORKER_FILE = join(PACKAGE_ROOT, 'dist', 'src', 'store', 'sqlite', 'search-worker.js');

type Pending = { resolve: (v: unknown) => void; reject: (e: Error) => void };
type JobBody<T> = T extends unknown ? Omit<T, 'id'> : never;

/**
 * Vector searches of a file-backed store on a worker thread with its own connection: a hybrid search posts its
 * vector half here, then runs its keyword half on the calling thread, and the two overlap on two cores (on one core
 * they take turns, as before). Started on the first search; idle, it does not keep the process alive.
 */
export class SearchThread {
  private worker: Worker | null = null;
  private failed = false;
  /** Whether the compiled worker file exists, checked on the first search. */
  private installed: boolean | undefined;
  private next = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(
    private readonly path: string,
    private readonly busyTimeoutMs: number,
  ) {}

  /** False when the worker cannot run here (no compiled worker file, or it failed): callers search in-thread. */
  get available(): boolean {
    this.installed ??= existsSync(WORKER_FILE);
    return !this.failed && this.installed;
  }

  vectorSearch(
    query: Float32Array,
    filter: StoreFilter,
    k: number,
    maxDistance: number | undefined,
    tuning: VectorSearchTuning,
    similarity: boolean,
  ): Promise<VectorPage> {
    return this.post({ op: 'vector', query, filter, k, maxDistance, tuning, similarity }) as Promise<VectorPage>;
  }

  private post(body: JobBody<SearchJob>): Promise<unknown> {
    const worker = this.start();
    const id = this.next++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      if (this.pending.size === 1) worker.ref();
      worker.postMessage({ ...body, id });
    });
  }

  private start(): Worker {
    if (this.worker) return this.worker;
    const worker = new Worker(WORKER_FILE, { workerData: { path: this.path, busyTimeoutMs: this.busyTimeoutMs } });
    worker.unref();
    worker.on('message', (r: SearchReply) => {
      const p = this.pending.get(r.id);
      if (!p) return;
      this.pending.delete(r.id);
      if (this.pending.size === 0) worker.unref();
      if (r.ok) {
        p.resolve(r.value);
        return;
      }
      const { kind, message } = r as Extract<SearchReply, { ok: false }>;
      p.reject(kind ? new MemoryError(kind as ErrorKind, message) : new Error(message));
    });
    worker.on('error', (err) => this.fail(err));
    worker.on('exit', (code) => {
      if (this.worker === worker) this.fail(new Error(`search worker exited with code ${code}`));
    });
    this.worker = worker;
    return worker;
  }

  /** Fails what was waiting; later searches run in-thread. */
  private fail(err: Error): void {
    if (!this.failed) log.warn(`vector search worker stopped (${err.message}); searching on the main thread`);
    this.failed = true;
    this.worker = null;
    for (const p of this.pending.values()) p.reject(err);
    this.pending.clear();
  }

  async close(): Promise<void> {
    const worker = this.worker;
    this.worker = null;
    this.failed = true;
    if (worker) await worker.terminate();
  }
}
