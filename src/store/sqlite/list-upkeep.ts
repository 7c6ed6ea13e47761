import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import { log } from '../../util/log.js';
import { yieldToRequests } from '../../util/yield.js';
import { PACKAGE_ROOT } from '../../version.js';
import type { Db } from './open.js';
import { storedCount } from './search.js';
import type { StatementCache } from './statements.js';
import { listPlan, type TrainedLists, trainLists } from './vector-lists.js';
import { putUnitRow, type VectorIndex, type VectorTables } from './vectors.js';

/** The compiled worker (tests run the sources, but the suite's setup builds dist/ first). */
const WORKER_FILE = join(PACKAGE_ROOT, 'dist', 'src', 'store', 'sqlite', 'train-lists-worker.js');

export interface ListUpkeepTuning {
  /** Lists are trained once the store holds this many memories (0: never): below it, scanning every code is as fast. */
  minMemories: number;
  /** Codes moved to their lists per write transaction, between which requests run. */
  moveBatch: number;
}

export const DEFAULT_LIST_UPKEEP: ListUpkeepTuning = { minMemories: 100_000, moveBatch: 500 };

/** Rows read per statement while sampling: the sample is taken in steps, each a short read. */
const SAMPLE_PAGE = 5000;

/**
 * Trains the vector lists when a store grows past `minMemories`, and moves the codes written before that into their
 * lists, a batch per transaction: background work that yields to requests between steps, trains on a worker thread,
 * resumes where any process left off, and stops when the store closes. Started by writes (`kick`) and on open.
 */
export class ListUpkeep {
  tuning: ListUpkeepTuning = DEFAULT_LIST_UPKEEP;
  private running: Promise<void> | null = null;
  private again = false;
  private closed = false;
  private worker: Worker | null = null;

  constructor(
    private readonly db: Db,
    private readonly stmts: StatementCache,
    private readonly vectors: VectorIndex,
  ) {}

  /** Runs the upkeep soon, unless it is running (then once more after). */
  kick(): void {
    if (this.closed) return;
    if (this.running) {
      this.again = true;
      return;
    }
    this.running = (async () => {
      do {
        this.again = false;
        await yieldToRequests();
        await this.step();
      } while (this.again && !this.closed);
    })()
      .catch((err) => {
        if (!this.closed) log.warn(`vector lists: upkeep stopped, to resume on the next write (${String(err)})`);
      })
      .finally(() => {
        this.running = null;
      });
  }

  /** Resolves once nothing is left to do (tests and benchmarks wait on it). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  async close(): Promise<void> {
    this.closed = true;
    await this.worker?.terminate();
    await this.running;
  }

  private async step(): Promise<void> {
    const t = this.vectors.current();
    if (!t?.code) return;
    if (!this.vectors.listModel(t)) {
      const { minMemories } = this.tuning;
      if (minMemories === 0 || storedCount(this.stmts, '*') < minMemories) return;
      const trained = await this.train(t);
      if (!trained || this.closed) return;
      this.db
        .transaction(() => {
          const now = this.vectors.current();
          // Another process may have trained them, or a re-embed swapped the generation, meanwhile.
          if (now?.gen === t.gen && !this.vectors.listModel(now)) this.vectors.installLists(now, trained);
        })
        .immediate();
      log.info(`vector lists: ${trained.listParent.length} lists trained for vector generation ${t.gen}`);
    }
    while (!this.closed) {
      const more = this.db.transaction(() => this.vectors.moveCodes(t, this.tuning.moveBatch)).immediate();
      if (!more) return;
      await yieldToRequests();
    }
  }

  /** About `size` unit vectors picked by a hash of their row id, read in short steps. */
  private async sample(t: VectorTables, size: number): Promise<Float32Array | null> {
    const total = storedCount(this.stmts, '*');
    const below = total <= size ? 2 ** 32 : Math.ceil((2 ** 32 * size) / total);
    const page = this.stmts.get(
      // Every row pages the keyset; only the picked ones' vectors are copied out.
      `SELECT memory_rowid AS pk, scale,
         CASE WHEN ((memory_rowid * 2654435761) & 4294967295) < ? THEN embedding END AS embedding
       FROM ${t.blob} WHERE memory_rowid > ? ORDER BY memory_rowid LIMIT ?`,
    );
    const out = new Float32Array(Math.min(total, size) * t.dim);
    let n = 0;
    for (let after = 0; !this.closed && n * t.dim < out.length; ) {
      const rows = page.all(below, after, SAMPLE_PAGE) as {
        pk: number;
        embedding: Uint8Array | null;
        scale: number | null;
      }[];
      for (const { embedding, scale } of rows) {
        if (embedding && n * t.dim < out.length && putUnitRow(out, n, t.dim, { embedding, scale })) n++;
      }
      if (rows.length < SAMPLE_PAGE) break;
      after = rows[rows.length - 1]!.pk;
      await yieldToRequests();
    }
    return this.closed || n === 0 ? null : out.subarray(0, n * t.dim);
  }

  private async train(t: VectorTables): Promise<TrainedLists | null> {
    const plan = listPlan(storedCount(this.stmts, '*'));
    const rows = await this.sample(t, plan.sample);
    if (!rows) return null;
    if (!existsSync(WORKER_FILE)) return trainLists(rows, t.dim, plan.lists);
    const worker = new Worker(WORKER_FILE, { workerData: { rows, dim: t.dim, lists: plan.lists } });
    this.worker = worker;
    try {
      return await new Promise<TrainedLists | null>((resolve, reject) => {
        worker.once('message', resolve);
        worker.once('error', reject);
        worker.once('exit', () => resolve(null));
      });
    } finally {
      this.worker = null;
      void worker.terminate();
    }
  }
}
