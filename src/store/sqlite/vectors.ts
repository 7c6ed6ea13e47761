import { MemoryError } from '../../errors.js';
import { toBlob } from './codec.js';
import type { Meta } from './meta.js';
import type { Db } from './open.js';
import type { StatementCache } from './statements.js';

/**
 * One generation of vector storage. Each vector is kept twice, on purpose (measured at 10k x 256):
 * - `vec`: a sqlite-vec vec0 table, whose brute-force KNN is the fastest unfiltered search (~2.6 ms);
 * - `blob`: a plain table, whose exact scan over only the rows a filter selects costs time in proportion to
 *   those rows (~0.4 ms for 1k), where a vec0 rowid lookup per row costs ~3.5 ms for the same 1k.
 * A new generation (new table names) is built by re-embedding and swapped in by one meta update.
 */
export interface VectorTables {
  gen: number;
  dim: number;
  blob: string;
  vec: string;
}

export const VEC0_MAX_K = 4096;

const NAME = /^memory_vec(?:tors)?_g(\d+)$/;

export function tablesFor(gen: number, dim: number): VectorTables {
  return { gen, dim, blob: `memory_vectors_g${gen}`, vec: `memory_vec_g${gen}` };
}

export class VectorIndex {
  /** The generation reembedAll is building; writes meanwhile drop their row there so it is re-embedded. */
  pending: VectorTables | null = null;

  constructor(
    private readonly db: Db,
    private readonly stmts: StatementCache,
    private readonly meta: Meta,
  ) {}

  /** Read per operation (a cheap primary-key lookup) so a re-embed by another process is picked up. */
  current(): VectorTables | null {
    const gen = this.meta.getInt('vector_generation');
    const dim = this.meta.getInt('vector_dimension');
    return gen && dim ? tablesFor(gen, dim) : null;
  }

  create(gen: number, dim: number): VectorTables {
    if (!Number.isInteger(dim) || dim < 1 || dim > 65_536) {
      throw new MemoryError('invalid', `embedding dimension must be a whole number from 1 to 65536, got ${dim}`);
    }
    const t = tablesFor(gen, dim);
    this.db.exec(`
      CREATE TABLE ${t.blob} (
        memory_rowid INTEGER PRIMARY KEY REFERENCES memories (pk) ON DELETE CASCADE,
        embedding BLOB NOT NULL
      );
      CREATE VIRTUAL TABLE ${t.vec} USING vec0 (embedding float[${dim}] distance_metric=cosine);
    `);
    return t;
  }

  drop(t: VectorTables): void {
    this.db.exec(`DROP TABLE IF EXISTS ${t.vec}; DROP TABLE IF EXISTS ${t.blob};`);
  }

  /** Makes `t` the live generation. Call inside a write transaction. */
  activate(t: VectorTables): void {
    this.meta.set('vector_generation', t.gen);
    this.meta.set('vector_dimension', t.dim);
  }

  /** The live tables, created with `dim` when none exist yet. Call inside a write transaction. */
  ensure(dim: number): VectorTables {
    const cur = this.current();
    if (cur) return cur;
    const t = this.create(this.maxGeneration() + 1, dim);
    this.activate(t);
    return t;
  }

  /** Generations present in the schema (live, or left behind by an interrupted re-embed). */
  generations(): number[] {
    const rows = this.stmts
      .get("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'memory_vec*_g*'")
      .all() as { name: string }[];
    const gens = new Set<number>();
    for (const { name } of rows) {
      const m = NAME.exec(name);
      if (m) gens.add(Number(m[1]));
    }
    return [...gens].sort((a, b) => a - b);
  }

  maxGeneration(): number {
    return Math.max(0, ...this.generations());
  }

  checkDimension(t: VectorTables, v: Float32Array): void {
    if (v.length !== t.dim) {
      throw new MemoryError('invalid', `vector has dimension ${v.length}, but this database stores dimension ${t.dim}`);
    }
  }

  write(t: VectorTables, pk: number, v: Float32Array): void {
    const blob = toBlob(v);
    this.stmts.get(`INSERT OR REPLACE INTO ${t.blob} (memory_rowid, embedding) VALUES (?, ?)`).run(pk, blob);
    this.stmts.get(`DELETE FROM ${t.vec} WHERE rowid = ?`).run(pk);
    this.stmts.get(`INSERT INTO ${t.vec} (rowid, embedding) VALUES (CAST(? AS INTEGER), ?)`).run(pk, blob);
  }

  /** Removes a memory's vectors everywhere (vec0 has no foreign keys to cascade). */
  remove(pk: number): void {
    const cur = this.current();
    if (cur) this.removeFrom(cur, pk);
    if (this.pending) this.removeFrom(this.pending, pk);
  }

  removeFrom(t: VectorTables, pk: number): void {
    this.stmts.get(`DELETE FROM ${t.vec} WHERE rowid = ?`).run(pk);
    this.stmts.get(`DELETE FROM ${t.blob} WHERE memory_rowid = ?`).run(pk);
  }
}
