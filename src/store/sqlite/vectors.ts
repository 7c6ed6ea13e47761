import { createHash } from 'node:crypto';
import { MemoryError } from '../../errors.js';
import { contentHash } from '../../util/content-hash.js';
import { dequantize, fromBlob, packVector, quantize, toBlob } from './codec.js';
import type { Meta } from './meta.js';
import type { Db } from './open.js';
import type { StatementCache } from './statements.js';
import { type ListModel, listOf, modelOf, type TrainedLists } from './vector-lists.js';

/**
 * One generation of vector storage. Each vector is kept twice, on purpose:
 * - `blob`: a plain table of the vectors, quantized to a signed byte per component (codec.ts `quantize`) with their
 *   scale: the distances (a scan over the rows a filter selects, and the rescoring of coarse candidates), and the
 *   content hash of the text each was embedded from, through which the embedding cache finds a memory's vector
 *   instead of holding a second copy (embedding-cache.ts);
 * - `vec`: a sqlite-vec vec0 table of binary codes of the vectors (see `CodeSpec`), with the namespace, user and
 *   session as metadata keys, whose brute-force Hamming KNN picks the candidates that are then rescored exactly.
 *   At 10k x 256 dimensions its KNN for 64 candidates costs ~0.6 ms, with the rescoring ~0.8 ms, where a float vec0
 *   KNN costs ~2.5 ms (cosine in sqlite-vec is scalar code) and an exact scan over the plain table ~7 ms.
 * The keys are written from the memory's row with its vector; a key gone stale could only cost recall, never let
 * another memory through, since the search applies the real filter to the candidates.
 * A new generation (new table names) is built by re-embedding and swapped in by one meta update.
 */
export interface VectorTables {
  gen: number;
  dim: number;
  blob: string;
  vec: string;
  /** Null when no binary code of this dimension fits a vec0 column: every search is then an exact scan. */
  code: CodeSpec | null;
  /** The codes partitioned by list (vector-lists.ts), once the lists are trained; then `vec` empties and goes. */
  listed: string;
  /** The lists' centroids. */
  lists: string;
}

/** sqlite-vec's limit on k in a vec0 KNN query. */
export const VEC0_MAX_K = 4096;
/** sqlite-vec's limit on a vec0 vector column's dimensions (bits, for a bit column). */
const VEC0_MAX_BITS = 8192;

/**
 * A vector's binary code, compared by Hamming distance.
 * - 'levels' (up to 512 dimensions): per level t, one bit per component for x > t and one for x < -t, so two codes
 *   differ by the L1 distance of the vectors quantised to 0, ±t1, ±t2; levels at 0 and 1.5/sqrt(dim), a unit
 *   vector's typical component being 1/sqrt(dim). Then a padding block in which a stored vector's code (never a
 *   query's) sets PAD_SHARE x (dim - bits set elsewhere) bits. Without it a long text (many components set) is far
 *   from every short query, which cosine similarity is not; with it the distance to a query is, up to a constant,
 *   (1 - PAD_SHARE) x (bits set) - 2 x (bits set in both).
 * - 'sign' (more dimensions): one bit for x > 0. Dense neural embeddings have every component set, where that is
 *   the usual binary code.
 * How often the exact top 10 stay within the top 64 by code (offline embedder; random sentences: 3000 bags of
 * words from a 300-word vocabulary, ties counted as hits):
 *
 * | code (bits at 256 dimensions)        | 10k synthetic sentences | LoCoMo turns vs questions | random sentences |
 * |--------------------------------------|------------------------:|--------------------------:|-----------------:|
 * | x > 0 (256)                          |                   0.741 |                         - |                - |
 * | level 0, no padding (512)            |                   0.926 |                     0.462 |                - |
 * | level 0, padding (704)               |                   0.994 |                     0.857 |            0.790 |
 * | levels 0 and 1.5, padding (1216)     |                   0.994 |                     0.913 |            0.883 |
 *
 * The second level costs ~0.13 ms more per search at 10k memories (sqlite-vec counts bits in software).
 */
export interface CodeSpec {
  kind: 'levels' | 'sign';
  /** Absolute level thresholds ('levels'). */
  levels: number[];
  /** Code length, a multiple of 64 (sqlite-vec then counts bits 64 at a time); unused bits are always 0. */
  bits: number;
}

/** Level thresholds in units of 1/sqrt(dim). */
const LEVELS = [0, 1.5];
const PAD_SHARE = 0.75;

const roundUp64 = (n: number) => Math.ceil(n / 64) * 64;

export function codeSpecFor(dim: number): CodeSpec | null {
  if (dim <= 512) {
    const bits = roundUp64(2 * dim * LEVELS.length + Math.ceil(PAD_SHARE * dim));
    return { kind: 'levels', levels: LEVELS.map((l) => l / Math.sqrt(dim)), bits };
  }
  const bits = roundUp64(dim);
  return bits <= VEC0_MAX_BITS ? { kind: 'sign', levels: [0], bits } : null;
}

/** The code of a stored vector, or of a query (`query`: no padding). */
export function encode(v: Float32Array, spec: CodeSpec, query = false): Buffer {
  const out = Buffer.alloc(spec.bits / 8);
  const dim = v.length;
  let bit = 0;
  let set = 0;
  const mark = (on: boolean) => {
    if (on) {
      out[bit >> 3]! |= 1 << (bit & 7);
      set++;
    }
    bit++;
  };
  if (spec.kind === 'sign') {
    for (let i = 0; i < dim; i++) mark(v[i]! > 0);
    return out;
  }
  for (const t of spec.levels) {
    for (let i = 0; i < dim; i++) mark(v[i]! > t);
    for (let i = 0; i < dim; i++) mark(v[i]! < -t);
  }
  if (!query) for (let n = Math.round(PAD_SHARE * Math.max(0, dim - set)); n > 0; n--) mark(true);
  return out;
}

/**
 * The vec0 metadata key of a namespace, user or session value: 0 for null, else 64 bits of its SHA-256. A KNN
 * constraint on keys can only admit extra rows on a hash collision, and the search re-applies the real filter.
 */
export function filterKey(value: string | null): bigint {
  if (value === null) return 0n;
  const key = createHash('sha256').update(value).digest().readBigInt64LE(0);
  return key === 0n ? 1n : key;
}

/**
 * The vec0 table is partitioned into shards by rowid, each searched for its own top k/SHARDS: vec0 selects its top
 * k in time k x rows, so two KNNs of k/2 cost less than one of k, and than four of k/4, each KNN having its own
 * set-up (measured at 10k: semantic search 0.93 ms with 2 shards, 1.16 with 1, 0.99 with 4). The union holds at least
 * the overall top k/2 and nearly all the rest of the overall top k.
 */
export const SHARDS = 2;

/** The memory columns that have a metadata key in the vec0 table, and the key column for each. */
export const KEY_COLUMNS = { namespace: 'namespace_key', user_id: 'user_key', session_id: 'session_key' } as const;

const NAME = /^memory_(?:vec|vectors|codes|listed_codes|lists)_g(\d+)$/;

export function tablesFor(gen: number, dim: number): VectorTables {
  return {
    gen,
    dim,
    blob: `memory_vectors_g${gen}`,
    vec: `memory_codes_g${gen}`,
    code: codeSpecFor(dim),
    listed: `memory_listed_codes_g${gen}`,
    lists: `memory_lists_g${gen}`,
  };
}

/** Meta keys: which training the lists are (`gen:stamp`), and the generation whose codes are still moving. */
const LISTS_KEY = 'vector_lists';
const MOVING_KEY = 'vector_lists_moving';
const CURSOR_KEY = 'vector_lists_cursor';

/**
 * vec0 allocates each partition's chunks whole: at its default of 1024 rows, 1024 mostly empty lists take 1 KB a
 * memory at 100k memories; at 128, 0.17 KB, and a probe reads a tenth of the bytes.
 */
const LISTED_CHUNK = 128;

export interface KeyRow {
  namespace: string | null;
  user_id: string | null;
  session_id: string | null;
}

export class VectorIndex {
  /** The generation reembedAll is building; writes meanwhile drop their row there so it is re-embedded. */
  pending: VectorTables | null = null;

  /** The list model last read, per connection: reloaded when the meta value naming it changes. */
  private model: ListModel | null = null;

  constructor(
    private readonly db: Db,
    private readonly stmts: StatementCache,
    private readonly meta: Meta,
  ) {}

  /** The lists of generation `t`, or null while none are trained (a small store, or a new generation). */
  listModel(t: VectorTables): ListModel | null {
    const version = this.meta.get(LISTS_KEY);
    if (!version || !t.code || !version.startsWith(`${t.gen}:`)) return null;
    if (this.model?.version !== version) this.model = loadLists(this.stmts, t, version);
    return this.model;
  }

  /** Whether codes of `t` written before its lists were trained are still in the unlisted table. */
  moving(t: VectorTables): boolean {
    return this.meta.get(MOVING_KEY) === String(t.gen);
  }

  /**
   * Makes `trained` the lists of `t`: creates the listed table and the centroids, after which every write of `t`
   * lands in its list, and the older codes wait in `vec` for `moveCodes`. Inside a write transaction.
   */
  installLists(t: VectorTables, trained: TrainedLists): void {
    const keys = Object.values(KEY_COLUMNS).map((c) => `${c} integer`);
    this.db.exec(`
      DROP TABLE IF EXISTS ${t.listed};
      DROP TABLE IF EXISTS ${t.lists};
      CREATE VIRTUAL TABLE ${t.listed} USING vec0 (
        code bit[${t.code!.bits}], shard integer partition key, ${keys.join(', ')}, chunk_size=${LISTED_CHUNK}
      );
      CREATE TABLE ${t.lists} (id INTEGER PRIMARY KEY, parent INTEGER, share REAL, centroid BLOB NOT NULL);
    `);
    const put = this.stmts.get(`INSERT INTO ${t.lists} (id, parent, share, centroid) VALUES (?, ?, ?, ?)`);
    const dim = trained.dim;
    // Parents under negative ids.
    for (let p = 0; p < trained.parents.length / dim; p++) {
      put.run(-1 - p, null, null, toBlob(trained.parents.subarray(p * dim, p * dim + dim)));
    }
    for (let l = 0; l < trained.listParent.length; l++) {
      put.run(l, trained.listParent[l]!, trained.share[l]!, toBlob(trained.lists.subarray(l * dim, l * dim + dim)));
    }
    this.meta.set(LISTS_KEY, `${t.gen}:${Date.now()}`);
    this.meta.set(MOVING_KEY, t.gen);
    this.meta.set(CURSOR_KEY, 0);
  }

  /**
   * Moves up to `n` codes of `t` from the unlisted table to their lists, in row order from where the last call
   * stopped (any process's); when none are left, drops the unlisted table. Inside a write transaction. Returns
   * whether codes are still left to move.
   */
  moveCodes(t: VectorTables, n: number): boolean {
    const model = this.listModel(t);
    if (!model || !this.moving(t)) return false;
    const after = this.meta.getInt(CURSOR_KEY) ?? 0;
    const rows = this.stmts
      .get(
        `SELECT v.memory_rowid AS pk, v.embedding AS embedding, v.scale AS scale, m.namespace AS namespace,
           m.user_id AS user_id, m.session_id AS session_id
         FROM ${t.blob} v JOIN memories m ON m.pk = v.memory_rowid WHERE v.memory_rowid > ?
         ORDER BY v.memory_rowid LIMIT ?`,
      )
      .all(after, n) as ({ pk: number; embedding: Uint8Array; scale: number | null } & KeyRow)[];
    const codeOf = this.stmts.get(`SELECT code FROM ${t.vec} WHERE rowid = ?`).pluck();
    for (const r of rows) {
      const code = codeOf.get(r.pk) as Buffer | undefined;
      // Written since the lists were trained: already in its list.
      if (!code) continue;
      this.stmts.get(`DELETE FROM ${t.vec} WHERE rowid = ?`).run(r.pk);
      this.insertCode(t.listed, r.pk, code, listOf(model, storedVector(r)), r);
    }
    if (rows.length === n) {
      this.meta.set(CURSOR_KEY, rows[rows.length - 1]!.pk);
      return true;
    }
    this.db.exec(`DROP TABLE IF EXISTS ${t.vec}`);
    this.meta.delete(MOVING_KEY);
    this.meta.delete(CURSOR_KEY);
    return false;
  }

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
        embedding BLOB NOT NULL,
        scale REAL,
        text_hash BLOB
      );
      ${textHashIndexSql(t)}
    `);
    this.createCodes(t);
    return t;
  }

  private createCodes(t: VectorTables): void {
    if (!t.code) return;
    const keys = Object.values(KEY_COLUMNS).map((c) => `${c} integer`);
    this.db.exec(
      `CREATE VIRTUAL TABLE ${t.vec} USING vec0 (code bit[${t.code.bits}], shard integer partition key, ${keys.join(', ')})`,
    );
  }

  drop(t: VectorTables): void {
    // memory_vec_gN: the float vec0 table of schema versions before the binary codes.
    this.db.exec(
      `DROP TABLE IF EXISTS ${t.vec}; DROP TABLE IF EXISTS memory_vec_g${t.gen}; DROP TABLE IF EXISTS ${t.listed};
       DROP TABLE IF EXISTS ${t.lists}; DROP TABLE IF EXISTS ${t.blob};`,
    );
    if (this.meta.get(LISTS_KEY)?.startsWith(`${t.gen}:`)) this.meta.delete(LISTS_KEY);
    if (this.moving(t)) {
      this.meta.delete(MOVING_KEY);
      this.meta.delete(CURSOR_KEY);
    }
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
      .get("SELECT name FROM sqlite_master WHERE type = 'table' AND name GLOB 'memory_*_g*'")
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

  /**
   * Writes memory `pk`'s vector, embedded from the text whose contentHash is `textHash` (when known). `keys`: its
   * namespace, user and session, read from its row when not given (so write that first). `fresh`: the row was just
   * inserted, under a primary key never used before (AUTOINCREMENT), so no older code can be there to replace.
   */
  write(t: VectorTables, pk: number, v: Float32Array, textHash?: string, keys?: KeyRow, fresh = false): void {
    const { bytes, scale } = quantize(v);
    // OR REPLACE may delete a row under a foreign key, so SQLite keeps a statement journal for it: only when needed.
    this.stmts
      .get(
        `INSERT ${fresh ? '' : 'OR REPLACE '}INTO ${t.blob} (memory_rowid, embedding, scale, text_hash) VALUES (?, ?, ?, ?)`,
      )
      .run(pk, bytes, scale, textHash ? hashKey(textHash) : null);
    this.writeCode(t, pk, v, keys, fresh);
  }

  private writeCode(t: VectorTables, pk: number, v: Float32Array, given?: KeyRow, fresh = false): void {
    if (!t.code) return;
    const keys =
      given ??
      (this.stmts.get('SELECT namespace, user_id, session_id FROM memories WHERE pk = ?').get(pk) as
        | KeyRow
        | undefined);
    const model = this.listModel(t);
    if (!fresh) this.removeCode(t, pk, model);
    if (model) this.insertCode(t.listed, pk, encode(v, t.code), listOf(model, v), keys);
    else this.insertCode(t.vec, pk, encode(v, t.code), pk % SHARDS, keys);
  }

  private insertCode(table: string, pk: number, code: Buffer, shard: number, keys: KeyRow | undefined): void {
    this.stmts
      .get(
        `INSERT INTO ${table} (rowid, code, shard, ${Object.values(KEY_COLUMNS).join(', ')})
         VALUES (CAST(? AS INTEGER), vec_bit(?), CAST(? AS INTEGER), ?, ?, ?)`,
      )
      .run(
        pk,
        code,
        shard,
        filterKey(keys?.namespace ?? null),
        filterKey(keys?.user_id ?? null),
        filterKey(keys?.session_id ?? null),
      );
  }

  private removeCode(t: VectorTables, pk: number, model = this.listModel(t)): void {
    if (model) this.stmts.get(`DELETE FROM ${t.listed} WHERE rowid = ?`).run(pk);
    if (!model || this.moving(t)) this.stmts.get(`DELETE FROM ${t.vec} WHERE rowid = ?`).run(pk);
  }

  /** Removes a memory's vectors everywhere (vec0 has no foreign keys to cascade). */
  remove(pk: number): void {
    const cur = this.current();
    if (cur) this.removeFrom(cur, pk);
    if (this.pending) this.removeFrom(this.pending, pk);
  }

  removeFrom(t: VectorTables, pk: number): void {
    if (t.code) this.removeCode(t, pk);
    this.stmts.get(`DELETE FROM ${t.blob} WHERE memory_rowid = ?`).run(pk);
  }

  /**
   * Schema upgrade from float vec0 tables to binary codes: drops the float tables and generations an interrupted
   * re-embed left behind, then builds the live generation's codes from its plain table. Call inside a transaction.
   */
  upgradeToCodes(): void {
    const live = this.current();
    for (const gen of this.generations()) if (gen !== live?.gen) this.drop(tablesFor(gen, live?.dim ?? 1));
    if (!live) return;
    this.db.exec(`DROP TABLE IF EXISTS memory_vec_g${live.gen}; DROP TABLE IF EXISTS ${live.vec};`);
    if (!live.code) return;
    this.createCodes(live);
    const page = this.db.prepare(
      `SELECT v.memory_rowid AS pk, v.embedding AS embedding FROM ${live.blob} v WHERE v.memory_rowid > ?
       ORDER BY v.memory_rowid LIMIT 1000`,
    );
    let after = 0;
    for (;;) {
      const rows = page.all(after) as { pk: number; embedding: Buffer }[];
      // Version 3 ran on float vectors; they are quantized later (version 11).
      for (const r of rows) this.writeCode(live, r.pk, fromBlob(r.embedding));
      if (rows.length < 1000) return;
      after = rows[rows.length - 1]!.pk;
    }
  }
}

/** The text-hash key of the vector tables: the first 16 bytes of the hex contentHash (collisions: none in 2^64). */
export const hashKey = (hex: string): Buffer => Buffer.from(hex.slice(0, 32), 'hex');

export const textHashIndexSql = (t: VectorTables): string =>
  `CREATE INDEX IF NOT EXISTS ${t.blob}_text ON ${t.blob} (text_hash) WHERE text_hash IS NOT NULL;`;

/** A stored vector as floats, at its length when it was written. */
export const storedVector = (row: { embedding: Uint8Array; scale: number | null }): Float32Array =>
  dequantize(row.embedding, row.scale ?? 0);

/**
 * Writes stored vector `row` as unit row `n` of `out` (rows of `dim` components); false, writing nothing, for a zero
 * vector or one of another dimension.
 */
export function putUnitRow(
  out: Float32Array,
  n: number,
  dim: number,
  row: { embedding: Uint8Array; scale: number | null },
): boolean {
  const v = storedVector(row);
  const norm = Math.hypot(...v);
  if (!(norm > 0) || v.length !== dim) return false;
  for (let j = 0; j < dim; j++) out[n * dim + j] = v[j]! / norm;
  return true;
}

/**
 * Schema version 11: the live generation's float vectors become bytes and a scale (a quarter of the space), each
 * with its text's hash where the embedding cache held the same vector for the memory's text (that cache row then
 * goes: the vector table serves it); the rest of the cache of the live model is quantized too; the cache of other
 * models, of a model whose dimension is not known, and generations an interrupted re-embed left behind are
 * dropped. A table without a recorded model (vectors written before the model was) is converted all the same.
 * Inside the migration.
 */
export function quantizeStoredVectors(db: Db, vectors: VectorIndex, meta: Meta): void {
  const live = vectors.current();
  for (const gen of vectors.generations()) if (gen !== live?.gen) vectors.drop(tablesFor(gen, live?.dim ?? 1));
  const model = meta.get('embedding_model');
  db.prepare('DELETE FROM embedding_cache WHERE model IS NOT ?').run(model ?? null);
  if (!live) {
    db.exec('DELETE FROM embedding_cache');
    return;
  }
  const columns = (db.prepare(`PRAGMA table_info(${live.blob})`).all() as { name: string }[]).map((c) => c.name);
  if (!columns.includes('scale')) db.exec(`ALTER TABLE ${live.blob} ADD COLUMN scale REAL`);
  if (!columns.includes('text_hash')) db.exec(`ALTER TABLE ${live.blob} ADD COLUMN text_hash BLOB`);
  db.exec(textHashIndexSql(live));
  const floatBytes = 4 * live.dim;
  const page = db.prepare(
    `SELECT v.memory_rowid AS pk, v.embedding AS embedding, m.text AS text FROM ${live.blob} v
     JOIN memories m ON m.pk = v.memory_rowid
     WHERE v.memory_rowid > ? AND length(v.embedding) = ? ORDER BY v.memory_rowid LIMIT 1000`,
  );
  const cached = db.prepare('SELECT vector FROM embedding_cache WHERE model = ? AND hash = ?').pluck();
  const uncache = db.prepare('DELETE FROM embedding_cache WHERE model = ? AND hash = ?');
  const update = db.prepare(`UPDATE ${live.blob} SET embedding = ?, scale = ?, text_hash = ? WHERE memory_rowid = ?`);
  for (let after = 0; ; ) {
    const rows = page.all(after, floatBytes) as { pk: number; embedding: Uint8Array; text: string }[];
    for (const r of rows) {
      const hash = contentHash(r.text);
      const held = model === undefined ? undefined : (cached.get(model, hash) as Uint8Array | undefined);
      const same = held ? Buffer.compare(Buffer.from(held), r.embedding) : 1;
      if (same === 0) uncache.run(model, hash);
      const q = quantize(fromBlob(r.embedding));
      update.run(q.bytes, q.scale, same === 0 ? hashKey(hash) : null, r.pk);
    }
    if (rows.length < 1000) break;
    after = rows[rows.length - 1]!.pk;
  }
  const cachePage = db.prepare(
    'SELECT hash, vector FROM embedding_cache WHERE model = ? AND hash > ? AND length(vector) = ? ORDER BY hash LIMIT 1000',
  );
  const recache = db.prepare('UPDATE embedding_cache SET vector = ? WHERE model = ? AND hash = ?');
  for (let after = ''; model !== undefined; ) {
    const rows = cachePage.all(model, after, floatBytes) as { hash: string; vector: Uint8Array }[];
    for (const r of rows) recache.run(packVector(fromBlob(r.vector)), model, r.hash);
    if (rows.length < 1000) break;
    after = rows[rows.length - 1]!.hash;
  }
  // Anything else (another dimension) would read back as a wrong vector.
  db.prepare('DELETE FROM embedding_cache WHERE length(vector) != ?').run(4 + live.dim);
}

/** The lists of `t` as `installLists` stored them. */
function loadLists(stmts: StatementCache, t: VectorTables, version: string): ListModel {
  const rows = stmts.get(`SELECT id, parent, share, centroid FROM ${t.lists} ORDER BY id`).all() as {
    id: number;
    parent: number | null;
    share: number | null;
    centroid: Uint8Array;
  }[];
  const parents = rows.filter((r) => r.id < 0).reverse();
  const lists = rows.filter((r) => r.id >= 0);
  const pack = (rs: typeof rows) => {
    const out = new Float32Array(rs.length * t.dim);
    for (const [i, r] of rs.entries()) out.set(fromBlob(r.centroid), i * t.dim);
    return out;
  };
  return modelOf(version, {
    dim: t.dim,
    parents: pack(parents),
    lists: pack(lists),
    listParent: Int32Array.from(lists, (r) => r.parent ?? 0),
    share: Float64Array.from(lists, (r) => r.share ?? 0),
  });
}
