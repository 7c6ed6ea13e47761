import { MemoryError } from '../../errors.js';
import type { Sql } from './client.js';
import type { VectorCapabilities } from './extension.js';
import { lockExclusive } from './locks.js';
import { meta } from './meta.js';

/**
 * One generation of vector storage: `memory_vectors_g<N> (memory_pk, embedding vector(dim))` with an HNSW index
 * (vector_cosine_ops) that picks candidates; search.ts rescores them by exact cosine distance. A re-embed builds the
 * next generation beside the live one and swaps it in by one meta update (embedding-model.ts).
 */
export interface VectorTables {
  gen: number;
  dim: number;
  table: string;
  /**
   * What the HNSW index is over: the vectors themselves (up to 2000 dimensions), their half-precision copies
   * (up to 4000, pgvector 0.7), or nothing (more dimensions: every search is an exact scan).
   */
  index: 'vector' | 'halfvec' | null;
}

export interface VectorState {
  live: VectorTables | null;
  /** The generation a re-embed is building: writes drop their memory's row there, so it is embedded again. */
  pending: VectorTables | null;
}

/** pgvector's limits on indexed dimensions, and on a vector's dimensions at all. */
const HNSW_MAX_VECTOR = 2000;
const HNSW_MAX_HALFVEC = 4000;
const MAX_DIM = 16_000;

const NAME = /^memory_vectors_g(\d+)$/;
const KEYS = ['vector_generation', 'vector_dimension', 'vector_pending_generation', 'vector_pending_dimension'];

/** A query or stored vector as pgvector's text form; NaN or Infinity make pgvector refuse it (a 400). */
export const vectorLiteral = (v: Float32Array): string => `[${Array.from(v).join(',')}]`;

export class VectorIndex {
  constructor(private readonly caps: VectorCapabilities) {}

  tablesFor(gen: number, dim: number): VectorTables {
    const index = dim <= HNSW_MAX_VECTOR ? 'vector' : dim <= HNSW_MAX_HALFVEC && this.caps.halfvec ? 'halfvec' : null;
    return { gen, dim, table: `memory_vectors_g${gen}`, index };
  }

  /** Read per operation (one primary-key lookup), so a re-embed by another process is picked up at once. */
  async state(sql: Sql): Promise<VectorState> {
    const m = await meta.all(sql, KEYS);
    const at = (gen: string, dim: string) => {
      const g = Number(m.get(gen));
      const d = Number(m.get(dim));
      return g > 0 && d > 0 ? this.tablesFor(g, d) : null;
    };
    return {
      live: at('vector_generation', 'vector_dimension'),
      pending: at('vector_pending_generation', 'vector_pending_dimension'),
    };
  }

  /** Creates the table and its HNSW index. Call holding the `vectors` lock exclusively. */
  async create(sql: Sql, gen: number, dim: number): Promise<VectorTables> {
    if (!Number.isInteger(dim) || dim < 1 || dim > MAX_DIM) {
      throw new MemoryError('invalid', `embedding dimension must be a whole number from 1 to ${MAX_DIM}, got ${dim}`);
    }
    const t = this.tablesFor(gen, dim);
    await sql.run(
      `CREATE TABLE ${t.table} (
         memory_pk bigint PRIMARY KEY REFERENCES memories (pk) ON DELETE CASCADE,
         embedding vector(${dim}) NOT NULL
       )`,
    );
    if (t.index === 'vector') {
      await sql.run(`CREATE INDEX ${t.table}_hnsw ON ${t.table} USING hnsw (embedding vector_cosine_ops)`);
    } else if (t.index === 'halfvec') {
      await sql.run(
        `CREATE INDEX ${t.table}_hnsw ON ${t.table} USING hnsw ((embedding::halfvec(${dim})) halfvec_cosine_ops)`,
      );
    }
    return t;
  }

  async drop(sql: Sql, t: { table: string }): Promise<void> {
    await sql.run(`DROP TABLE IF EXISTS ${t.table}`);
  }

  /** Generations present in the schema: the live one, a pending one, or leftovers of an interrupted re-embed. */
  async generations(sql: Sql): Promise<number[]> {
    const rows = await sql.rows<{ name: string }>(
      `SELECT c.relname AS name FROM pg_class c
       WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()) AND c.relkind = 'r' AND c.relname LIKE 'memory\\_vectors\\_g%'`,
    );
    const gens: number[] = [];
    for (const { name } of rows) {
      const m = NAME.exec(name);
      if (m) gens.push(Number(m[1]));
    }
    return gens.sort((a, b) => a - b);
  }

  /** The live tables, created with `dim` when there are none yet. Call inside a write transaction. */
  async ensure(sql: Sql, dim: number): Promise<VectorState & { live: VectorTables }> {
    const state = await this.state(sql);
    if (state.live) return state as VectorState & { live: VectorTables };
    await lockExclusive(sql, 'vectors');
    const again = await this.state(sql);
    if (again.live) return again as VectorState & { live: VectorTables };
    const live = await this.create(sql, Math.max(0, ...(await this.generations(sql))) + 1, dim);
    await this.activate(sql, live);
    return { ...again, live };
  }

  /** Makes `t` the live generation. Call holding the `vectors` lock exclusively. */
  async activate(sql: Sql, t: VectorTables): Promise<void> {
    await meta.set(sql, { vector_generation: t.gen, vector_dimension: t.dim });
  }

  checkDimension(t: VectorTables, v: Float32Array): void {
    if (v.length !== t.dim) {
      throw new MemoryError('invalid', `vector has dimension ${v.length}, but this database stores dimension ${t.dim}`);
    }
  }

  /** Writes the vectors of these memories into the live generation and drops them from a pending one. */
  async write(sql: Sql, state: VectorState & { live: VectorTables }, entries: { pk: number; vector: Float32Array }[]) {
    if (entries.length === 0) return;
    for (const e of entries) this.checkDimension(state.live, e.vector);
    await sql.run(
      `INSERT INTO ${state.live.table} (memory_pk, embedding)
       SELECT v.pk, v.e::text::vector FROM json_to_recordset($1::json) AS v(pk bigint, e json)
       ON CONFLICT (memory_pk) DO UPDATE SET embedding = EXCLUDED.embedding`,
      [JSON.stringify(entries.map((e) => ({ pk: e.pk, e: Array.from(e.vector) })))],
    );
    if (state.pending) {
      await sql.run(`DELETE FROM ${state.pending.table} WHERE memory_pk = ANY($1::bigint[])`, [
        entries.map((e) => e.pk),
      ]);
    }
  }
}
