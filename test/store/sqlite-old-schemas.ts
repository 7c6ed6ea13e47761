import type Database from 'better-sqlite3';
import { unpackPayload } from '../../src/store/payload-codec.js';
import { dequantize, toBlob, unpackVector } from '../../src/store/sqlite/codec.js';

/**
 * SQL that takes a current SQLite database back to before migration 9 (the tiers of migration 10, then the agent
 * memory columns, R*Tree and indexes), for tests that rebuild what an older server left and open it with this one.
 */
export const UNDO_AGENT_COLUMNS = `
  DROP INDEX memories_agent_tier;
  ALTER TABLE memories DROP COLUMN memory_tier; ALTER TABLE memories DROP COLUMN tier_step;
  DROP TRIGGER IF EXISTS memories_rtree_insert; DROP TRIGGER memories_rtree_update; DROP TRIGGER memories_rtree_delete;
  DROP TABLE memories_rtree; DROP INDEX memories_agent_step; DROP INDEX memories_step;
  DROP INDEX memories_importance; DROP INDEX memories_type_importance;
  ALTER TABLE memories DROP COLUMN agent_id; ALTER TABLE memories DROP COLUMN step_number;
  ALTER TABLE memories DROP COLUMN loc_kind; ALTER TABLE memories DROP COLUMN loc_x;
  ALTER TABLE memories DROP COLUMN loc_y; ALTER TABLE memories DROP COLUMN content;`;

/**
 * Takes the live vector table `blob` back to before migration 11: float vectors, no scale or text hash; and the
 * embedding cache back to float vectors. SQL alone cannot turn signed bytes into floats, hence the loop.
 */
export function undoQuantizedVectors(db: Database.Database, blob = 'memory_vectors_g1'): void {
  const rows = db.prepare(`SELECT memory_rowid AS pk, embedding, scale FROM ${blob}`).all() as {
    pk: number;
    embedding: Buffer;
    scale: number;
  }[];
  const update = db.prepare(`UPDATE ${blob} SET embedding = ? WHERE memory_rowid = ?`);
  for (const r of rows) update.run(toBlob(dequantize(r.embedding, r.scale)), r.pk);
  const cached = db.prepare('SELECT model, hash, vector FROM embedding_cache').all() as {
    model: string;
    hash: string;
    vector: Buffer;
  }[];
  const recache = db.prepare('UPDATE embedding_cache SET vector = ? WHERE model = ? AND hash = ?');
  for (const r of cached) recache.run(toBlob(unpackVector(r.vector)), r.model, r.hash);
  db.exec(`DROP INDEX ${blob}_text; ALTER TABLE ${blob} DROP COLUMN scale; ALTER TABLE ${blob} DROP COLUMN text_hash;`);
}

/** The keyword rows as stored now (keyword-rows.ts): pk, terms, context. */
export function keywordRowsOf(db: Database.Database): { rowid: number; terms: string; context: string }[] {
  const rows = db.prepare('SELECT memory_rowid AS rowid, packed FROM memory_terms ORDER BY memory_rowid').all() as {
    rowid: number;
    packed: string | Buffer;
  }[];
  return rows.map((r) => {
    const [terms, context] = JSON.parse(unpackPayload(r.packed)) as [string, string];
    return { rowid: r.rowid, terms, context };
  });
}

/** Takes the keyword index back to before migration 12: a full-text table that stores its rows, no memory_terms. */
export function undoKeywordRows(db: Database.Database): void {
  const rows = keywordRowsOf(db);
  db.exec(`DROP TABLE memory_terms; DROP TABLE memories_fts;
    CREATE VIRTUAL TABLE memories_fts USING fts5 (terms, context,
      tokenize = 'unicode61 remove_diacritics 2 categories ''L* N* Co M*''');`);
  const put = db.prepare('INSERT INTO memories_fts (rowid, terms, context) VALUES (?, ?, ?)');
  for (const r of rows) put.run(r.rowid, r.terms, r.context);
}
