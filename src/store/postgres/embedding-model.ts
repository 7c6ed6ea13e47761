import { MemoryError } from '../../errors.js';
import { modelMismatchMessage } from '../sqlite/embedding-model.js';
import { type ConnectionOptions, connectClient, type Db } from './client.js';
import { lockExclusive } from './locks.js';
import { bumpWriteVersion, meta } from './meta.js';
import { type VectorIndex, type VectorTables, vectorLiteral } from './vectors.js';

const REEMBED_BATCH = 128;

const memoryCount = async (db: Db) => (await db.one<{ n: number }>('SELECT count(*) AS n FROM memories'))?.n ?? 0;

export async function recordedModel(db: Db): Promise<{ model: string; dimension: number } | null> {
  const m = await meta.all(db, ['embedding_model', 'embedding_dimension']);
  const model = m.get('embedding_model');
  const dimension = Number(m.get('embedding_dimension'));
  return model !== undefined && dimension > 0 ? { model, dimension } : null;
}

export async function ensureEmbeddingModel(db: Db, vectors: VectorIndex, model: string, dim: number): Promise<void> {
  // Checked without a lock first: this runs at every start-up and is almost always a match.
  const recorded = await recordedModel(db);
  if (recorded?.model === model && recorded.dimension === dim) return;
  await db.tx(async (t) => {
    await lockExclusive(t, 'vectors');
    const m = await meta.all(t, ['embedding_model', 'embedding_dimension']);
    const stored = m.get('embedding_model');
    const storedDim = Number(m.get('embedding_dimension'));
    if (stored !== undefined && storedDim > 0) {
      if (stored === model && storedDim === dim) return;
      throw new MemoryError('conflict', modelMismatchMessage(stored, storedDim, model, dim));
    }
    const { live } = await vectors.state(t);
    if (live && live.dim !== dim) {
      // Vectors were written before any model was recorded; they can only be replaced if there are none.
      const any = await t.one('SELECT 1 FROM memories LIMIT 1');
      if (any) throw new MemoryError('conflict', modelMismatchMessage('(unrecorded)', live.dim, model, dim));
      await vectors.drop(t, live);
      const gens = await vectors.generations(t);
      await vectors.activate(t, await vectors.create(t, Math.max(0, ...gens) + 1, dim));
    }
    await vectors.ensure(t, dim);
    await meta.set(t, { embedding_model: model, embedding_dimension: dim });
  });
}

interface TextRow {
  pk: number;
  text: string;
}

/**
 * Builds the next vector generation beside the live one, then swaps it in with one transaction, so a failure at
 * any point leaves the old model fully working (the half-built table is dropped, here or by the next run). The
 * new generation is recorded as pending, and every writer, in any process, drops its memory's row from it, so a
 * memory changed meanwhile is embedded again by the next pass; passes repeat until none is missing. One re-embed
 * at a time per store: it holds a session advisory lock on a connection of its own, which a crash releases.
 */
export async function reembedAll(
  db: Db,
  opts: ConnectionOptions,
  vectors: VectorIndex,
  model: string,
  dim: number,
  embed: (texts: string[]) => Promise<Float32Array[]>,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  const { client, sql: lockSql } = await connectClient(opts);
  const lockKey = "hashtextextended(current_schema() || chr(31) || 'reembed', 0)";
  try {
    for (const statement of db.sessionStatements) await lockSql.run(statement);
    const got = await lockSql.one<{ ok: boolean }>(`SELECT pg_try_advisory_lock(${lockKey}) AS ok`);
    if (!got?.ok) throw new MemoryError('conflict', 'A re-embed is already running on this database.');
    try {
      return await reembedLocked(db, vectors, model, dim, embed, onProgress);
    } finally {
      await lockSql.run(`SELECT pg_advisory_unlock(${lockKey})`).catch(() => {});
    }
  } finally {
    await client.end().catch(() => {});
  }
}

async function reembedLocked(
  db: Db,
  vectors: VectorIndex,
  model: string,
  dim: number,
  embed: (texts: string[]) => Promise<Float32Array[]>,
  onProgress?: (done: number, total: number) => void,
): Promise<number> {
  const next = await db.tx(async (t): Promise<VectorTables> => {
    await lockExclusive(t, 'vectors');
    const { live } = await vectors.state(t);
    // Leftovers of an interrupted re-embed: nothing reads them.
    for (const gen of await vectors.generations(t))
      if (gen !== live?.gen) await vectors.drop(t, vectors.tablesFor(gen, 1));
    const created = await vectors.create(t, Math.max(0, live?.gen ?? 0, ...(await vectors.generations(t))) + 1, dim);
    await meta.set(t, { vector_pending_generation: created.gen, vector_pending_dimension: dim });
    return created;
  });
  try {
    const total = await memoryCount(db);
    let done = 0;
    const embedRows = async (rows: TextRow[]) => {
      const embedded = await embed(rows.map((r) => r.text));
      if (embedded.length !== rows.length) {
        throw new MemoryError(
          'unavailable',
          `the embedder returned ${embedded.length} vectors for ${rows.length} texts`,
        );
      }
      for (const v of embedded) vectors.checkDimension(next, v);
      // The row lock (FOR SHARE) waits for a writer still changing one of these memories, and makes a later writer
      // wait for this commit; either way the writer's delete from the pending table comes after this insert.
      await db.tx((t) =>
        t.run(
          `WITH batch AS (SELECT * FROM json_to_recordset($1::json) AS b(pk bigint, text text, e text)),
           current AS (SELECT m.pk, m.text FROM memories m JOIN batch b ON b.pk = m.pk FOR SHARE OF m)
           INSERT INTO ${next.table} (memory_pk, embedding)
           SELECT b.pk, b.e::vector FROM batch b JOIN current c ON c.pk = b.pk AND c.text = b.text
           ON CONFLICT (memory_pk) DO UPDATE SET embedding = EXCLUDED.embedding`,
          [JSON.stringify(rows.map((r, i) => ({ pk: r.pk, text: r.text, e: vectorLiteral(embedded[i]!) })))],
        ),
      );
      done += rows.length;
      onProgress?.(Math.min(done, total), Math.max(done, total));
    };
    const missing = `SELECT pk, text FROM memories m WHERE m.pk > $1
      AND NOT EXISTS (SELECT 1 FROM ${next.table} v WHERE v.memory_pk = m.pk) ORDER BY m.pk LIMIT $2`;
    for (;;) {
      let after = 0;
      for (;;) {
        const rows = await db.rows<TextRow>(missing, [after, REEMBED_BATCH]);
        if (rows.length === 0) break;
        await embedRows(rows);
        after = rows[rows.length - 1]!.pk;
      }
      const swapped = await db.tx(async (t): Promise<number | null> => {
        await lockExclusive(t, 'vectors');
        if (await t.one(missing, [0, 1])) return null;
        const { live } = await vectors.state(t);
        if (live) await vectors.drop(t, live);
        await vectors.activate(t, next);
        await bumpWriteVersion(t);
        await meta.set(t, {
          vector_pending_generation: null,
          vector_pending_dimension: null,
          embedding_model: model,
          embedding_dimension: dim,
        });
        return (await t.one<{ n: number }>('SELECT count(*) AS n FROM memories'))?.n ?? 0;
      });
      if (swapped !== null) return swapped;
    }
  } catch (err) {
    await db
      .tx(async (t) => {
        await lockExclusive(t, 'vectors');
        await vectors.drop(t, next);
        await meta.set(t, { vector_pending_generation: null, vector_pending_dimension: null });
      })
      .catch(() => {
        // The next re-embed drops leftover generations anyway.
      });
    throw err;
  }
}
