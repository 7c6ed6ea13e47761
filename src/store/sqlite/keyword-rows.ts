import { packText, unpackPayload } from '../payload-codec.js';
import type { Db } from './open.js';
import type { StatementCache } from './statements.js';

/**
 * The full-text table as it is now (migration 12 creates it; a rebuild drops and creates it again): contentless,
 * so FTS5 keeps only its index. A delete or an update must still take the memory's tokens out of FTS5's row count
 * and total length, or BM25 drifts from the corpus with every delete (what a contentless_delete table does): so each
 * memory's analysed terms and context are kept beside it in `memory_terms`, compressed (SQLITE_COMPRESS), and given
 * back to FTS5's 'delete' command. That halves what the stored terms cost, most of it the related words of the
 * context. Marks (Unicode M*: the vowel signs of Devanagari or Tamil) are token characters, as in the tokenizer the
 * other stores share (bm25.ts), so such words stay whole.
 */
export const KEYWORD_TABLE_SQL = `
CREATE VIRTUAL TABLE memories_fts USING fts5 (
  terms, context, content = '',
  tokenize = 'unicode61 remove_diacritics 2 categories ''L* N* Co M*'''
);`;

export const TERMS_TABLE_SQL = `
CREATE TABLE memory_terms (
  memory_rowid INTEGER PRIMARY KEY,
  packed BLOB NOT NULL
);`;

/** A memory's keyword row: written, replaced and removed in both tables at once, inside the caller's transaction. */
export class KeywordRows {
  /** SQLITE_COMPRESS: the kept terms are stored compressed (payload-codec.ts `packText`). */
  compress = true;

  constructor(private readonly stmts: StatementCache) {}

  /** `fresh`: the memory's row was just inserted, under a primary key never used before, so there is none to remove. */
  write(pk: number, terms: string, context: string, fresh = false): void {
    if (!fresh) this.remove(pk);
    this.stmts.get('INSERT INTO memories_fts (rowid, terms, context) VALUES (?, ?, ?)').run(pk, terms, context);
    const json = JSON.stringify([terms, context]);
    this.stmts
      .get('INSERT INTO memory_terms (memory_rowid, packed) VALUES (?, ?)')
      .run(pk, this.compress ? packText(json) : json);
  }

  remove(pk: number): void {
    const row = this.stmts.get('SELECT packed FROM memory_terms WHERE memory_rowid = ?').get(pk) as
      | { packed: string | Uint8Array }
      | undefined;
    if (!row) return;
    const [terms, context] = JSON.parse(unpackPayload(row.packed)) as [string, string];
    this.stmts
      .get("INSERT INTO memories_fts (memories_fts, rowid, terms, context) VALUES ('delete', ?, ?, ?)")
      .run(pk, terms, context);
    this.stmts.get('DELETE FROM memory_terms WHERE memory_rowid = ?').run(pk);
  }

  /** Empties both tables (a rebuild). */
  clear(db: Db): void {
    db.exec(`DROP TABLE memories_fts; ${KEYWORD_TABLE_SQL} DELETE FROM memory_terms;`);
  }
}

/**
 * Schema version 12: the full-text table of migration 8, which stored its rows, becomes contentless, its rows moved
 * to `memory_terms`, compressed. Inside the migration; a database whose index awaits its rebuild (migration 8
 * pending) has nothing to move.
 */
export function moveKeywordRows(db: Db): void {
  db.exec(TERMS_TABLE_SQL);
  const hasContent = db.prepare("SELECT 1 FROM sqlite_master WHERE name = 'memories_fts_content'").get();
  if (hasContent) db.exec('INSERT INTO memory_terms SELECT id, json_array(c0, c1) FROM memories_fts_content');
  db.exec(`DROP TABLE memories_fts; ${KEYWORD_TABLE_SQL}`);
  db.exec(
    'INSERT INTO memories_fts (rowid, terms, context) SELECT memory_rowid, packed ->> 0, packed ->> 1 FROM memory_terms',
  );
  const page = db.prepare(
    'SELECT memory_rowid AS pk, packed FROM memory_terms WHERE memory_rowid > ? ORDER BY memory_rowid LIMIT 1000',
  );
  const pack = db.prepare('UPDATE memory_terms SET packed = ? WHERE memory_rowid = ?');
  for (let after = 0; ; ) {
    const rows = page.all(after) as { pk: number; packed: string }[];
    for (const r of rows) pack.run(packText(r.packed), r.pk);
    if (rows.length < 1000) return;
    after = rows[rows.length - 1]!.pk;
  }
}
