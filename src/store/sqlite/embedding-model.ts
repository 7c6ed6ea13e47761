import { MemoryError } from '../../errors.js';
import { contentHash } from '../../util/content-hash.js';
import { bumpWriteVersion, type Meta } from './meta.js';
import type { Db } from './open.js';
import type { StatementCache } from './statements.js';
import { hashKey, tablesFor, type VectorIndex, type VectorTables } from './vectors.js';

const REEMBED_BATCH = 128;

export function modelMismatchMessage(stored: string, storedDim: number, model: string, dim: number): string {
  return (
    `This database was built with embedding model "${stored}" (dimension ${storedDim}), but the server is configured ` +
    `with "${model}" (dimension ${dim}). Run \`agent-memory reembed\` to re-embed every memory with the new model, ` +
    `or set EMBEDDING_MODEL back to "${stored}".`
  );
}

const memoryCount = (stmts: StatementCache) =>
  (stmts.get('SELECT count(*) AS n FROM memories').get() as { n: number }).n;

export function ensureEmbeddingModel(
  db: Db,
  stmts: StatementCache,
  meta: Meta,
  vectors: VectorIndex,
  model: string,
  dim: number,
): void {
  // Checked outside a write lock first: this runs at every start-up and is almost always a match.
  if (meta.get('embedding_model') === model && meta.getInt('embedding_dimension') === dim) return;
  db.transaction(() => {
    const stored = meta.get('embedding_model');
    const storedDim = meta.getInt('embedding_dimension');
    if (stored !== undefined && storedDim !== undefined) {
      if (stored === model && storedDim === dim) return;
      throw new MemoryError('conflict', modelMismatchMessage(stored, storedDim, model, dim));
    }
    const cur = vectors.current();
    if (cur && cur.dim !== dim) {
      // Vectors were written before any model was recorded; they can only be kept if there are none.
      if (memoryCount(stmts) > 0)
        throw new MemoryError('conflict', modelMismatchMessage('(unrecorded)', cur.dim, model, dim));
      vectors.drop(cur);
      vectors.activate(vectors.create(vectors.maxGeneration() + 1, dim));
    }
    vectors.ensure(dim);
    meta.set('embedding_model', model);
    meta.set('embedding_dimension', dim);
  }).immediate();
}

interface TextRow {
  pk: number;
  text: string;
}

/** The generation a re-embed is building, with its model and dimension, until it is swapped in. */
const REEMBED_KEY = 'reembed_generation';

/**
 * Builds the next vector generation beside the live one, then swaps it in with one transaction, so a crash or an
 * embedder failure at any point leaves the old model fully working. The half-built generation is kept: the next
 * re-embed to the same model and dimension goes on with it (the vectors of memories edited meanwhile, told by their
 * text's hash, are redone), since the embedding cache does not hold memories' vectors; any other drops it.
 * Memories written by this process meanwhile are dropped from the new tables (VectorIndex.pending) and redone.
 */
export async function reembedAll(
  db: Db,
  stmts: StatementCache,
  meta: Meta,
  vectors: VectorIndex,
  model: string,
  dim: number,
  embed: (texts: string[]) => Promise<Float32Array[]>,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  if (vectors.pending) throw new MemoryError('conflict', 'A re-embed is already running on this database.');
  const live = vectors.current();
  const next = db
    .transaction((): VectorTables => {
      const kept = unfinished(meta, vectors, live, model, dim);
      for (const gen of vectors.generations()) {
        if (gen !== live?.gen && gen !== kept?.gen) vectors.drop(tablesFor(gen, dim));
      }
      if (kept) return kept;
      const created = vectors.create(vectors.maxGeneration() + 1, dim);
      meta.set(REEMBED_KEY, JSON.stringify({ model, dim, gen: created.gen }));
      return created;
    })
    .immediate();
  vectors.pending = next;
  try {
    dropStale(db, stmts, vectors, next);
    const total = memoryCount(stmts);
    let done = 0;
    const missing = stmts.get(
      `SELECT pk, text FROM memories WHERE pk > ? AND pk NOT IN (SELECT memory_rowid FROM ${next.blob}) ORDER BY pk LIMIT ?`,
    );
    const writeBatch = db.transaction((rows: TextRow[], embedded: Float32Array[]) => {
      const text = stmts.get('SELECT text FROM memories WHERE pk = ?');
      rows.forEach((row, i) => {
        // A memory deleted or rewritten while its batch was being embedded is skipped; the next pass redoes it.
        if ((text.get(row.pk) as TextRow | undefined)?.text === row.text)
          vectors.write(next, row.pk, embedded[i]!, contentHash(row.text));
      });
    });
    const embedRows = async (rows: TextRow[]) => {
      const embedded = await embed(rows.map((r) => r.text));
      if (embedded.length !== rows.length) {
        throw new MemoryError(
          'unavailable',
          `the embedder returned ${embedded.length} vectors for ${rows.length} texts`,
        );
      }
      for (const v of embedded) vectors.checkDimension(next, v);
      writeBatch.immediate(rows, embedded);
      done += rows.length;
      onProgress?.(Math.min(done, total), Math.max(done, total));
    };
    // Passes repeat until nothing is missing: a later pass picks up memories added or changed meanwhile.
    for (;;) {
      let after = 0;
      for (;;) {
        const rows = missing.all(after, REEMBED_BATCH) as TextRow[];
        if (rows.length === 0) break;
        await embedRows(rows);
        after = rows[rows.length - 1]!.pk;
      }
      const swapped = db
        .transaction((): number | null => {
          if (missing.get(0, 1)) return null;
          stmts.get(`DELETE FROM ${next.vec} WHERE rowid NOT IN (SELECT pk FROM memories)`).run();
          if (live) vectors.drop(live);
          vectors.activate(next);
          meta.delete(REEMBED_KEY);
          bumpWriteVersion(stmts);
          meta.set('embedding_model', model);
          meta.set('embedding_dimension', dim);
          return memoryCount(stmts);
        })
        .immediate();
      if (swapped !== null) return swapped;
    }
  } finally {
    vectors.pending = null;
  }
}

/** The generation an earlier re-embed to this model and dimension left unfinished, if it is still there. */
function unfinished(
  meta: Meta,
  vectors: VectorIndex,
  live: VectorTables | null,
  model: string,
  dim: number,
): VectorTables | null {
  const raw = meta.get(REEMBED_KEY);
  if (raw === undefined) return null;
  const t = JSON.parse(raw) as { model: string; dim: number; gen: number };
  if (t.model !== model || t.dim !== dim || t.gen === live?.gen || !vectors.generations().includes(t.gen)) return null;
  return tablesFor(t.gen, dim);
}

/** Drops the vectors of `t` whose memory's text changed since they were embedded, a page per transaction. */
function dropStale(db: Db, stmts: StatementCache, vectors: VectorIndex, t: VectorTables): void {
  const page = stmts.get(
    `SELECT v.memory_rowid AS pk, v.text_hash AS hash, m.text AS text FROM ${t.blob} v
     JOIN memories m ON m.pk = v.memory_rowid WHERE v.memory_rowid > ? ORDER BY v.memory_rowid LIMIT 1000`,
  );
  const drop = db.transaction((rows: { pk: number; hash: Buffer | null; text: string }[]) => {
    for (const r of rows) {
      if (!r.hash || !hashKey(contentHash(r.text)).equals(r.hash)) vectors.removeFrom(t, r.pk);
    }
  });
  for (let after = 0; ; ) {
    const rows = page.all(after) as { pk: number; hash: Buffer | null; text: string }[];
    drop.immediate(rows);
    if (rows.length < 1000) return;
    after = rows[rows.length - 1]!.pk;
  }
}
