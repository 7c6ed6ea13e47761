import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Engine, openEngine } from '../../src/core/engine.js';
import { KEYWORD_REBUILD_KEY } from '../../src/store/sqlite/migrations.js';
import type { SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { queryTerms } from '../../src/text/analyzer.js';
import { noFilter } from './records.js';
import { keywordRowsOf, UNDO_AGENT_COLUMNS } from './sqlite-old-schemas.js';

const dir = mkdtempSync(join(tmpdir(), 'agent-memory-upgrade-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let n = 0;
const open = (path: string) =>
  openEngine(loadConfig({ SQLITE_PATH: path, LOG_LEVEL: 'silent' }), { autoStartWorker: false });

const TEXTS = [
  'Alice moved to Lisbon in spring and works at a bakery',
  'Bob plays chess every Tuesday evening in the park',
  'किताब मेज़ पर है और अलीस उसे पढ़ती है', // Devanagari: vowel signs inside words
  'Alice prefers green tea over coffee in the morning',
  'The bakery near the park opens at seven',
  'Bob and Alice met at the chess club',
];
const QUERIES = ['alice bakery', 'chess park', 'किताब', 'पढ़ती', 'tea coffee morning', 'seven'];

/** Per query: the hits' texts, best first, and the store's BM25 scores (the engine's dist also holds recency). */
async function ranking(engine: Engine): Promise<Array<{ texts: string[]; scores: number[] }>> {
  const out: Array<{ texts: string[]; scores: number[] }> = [];
  for (const text of QUERIES) {
    const res = await engine.longTerm.search({ text, search_mode: 'keyword', limit: 10 }, { touch: false });
    const hits = await engine.store.keywordSearch(queryTerms(text), noFilter(), 10);
    out.push({ texts: res.memories.map((m) => m.text), scores: hits.items.map((h) => h.score) });
  }
  return out;
}

describe('the sqlite keyword index, upgraded', () => {
  it('a schema 7 database (contentless index) is rebuilt once on open and then searches as a new one', async () => {
    const path = join(dir, `db-${++n}.db`);
    const fresh = join(dir, `db-${++n}.db`);
    const a = await open(path);
    await a.longTerm.create(TEXTS.map((text) => ({ text })));
    const expected = await ranking(a);
    // What schema 7 left: the contentless_delete table of migration 1 holding the same terms, version 7.
    const db = (a.store as SqliteStore).db;
    const rows = keywordRowsOf(db);
    db.exec(`DROP TABLE memories_fts; DROP TABLE memory_terms;
      CREATE VIRTUAL TABLE memories_fts USING fts5 (terms, context, content = '', contentless_delete = 1,
        tokenize = 'unicode61 remove_diacritics 2');
      ${UNDO_AGENT_COLUMNS}
      UPDATE meta SET value = '7' WHERE key = 'schema_version';`);
    const put = db.prepare('INSERT INTO memories_fts (rowid, terms, context) VALUES (?, ?, ?)');
    for (const r of rows) put.run(r.rowid, r.terms, r.context);
    await a.close();

    const upgraded = await open(path);
    try {
      const s = upgraded.store as SqliteStore;
      expect(s.db.prepare(`SELECT 1 FROM meta WHERE key = ?`).get(KEYWORD_REBUILD_KEY)).toBeUndefined();
      expect(s.db.prepare('SELECT count(*) FROM memories_fts').pluck().get()).toBe(TEXTS.length);
      expect(await ranking(upgraded)).toEqual(expected);
      // Words with combining vowel signs are found whole, by either word.
      expect(expected[2]!.texts[0]).toBe(TEXTS[2]);
      expect(expected[3]!.texts[0]).toBe(TEXTS[2]);
      const b = await open(fresh);
      await b.longTerm.create(TEXTS.map((text) => ({ text })));
      expect(await ranking(upgraded)).toEqual(await ranking(b));
      await b.close();
    } finally {
      await upgraded.close();
    }
    // Reopening does not rebuild again: the flag is gone and the index kept.
    const again = await open(path);
    expect(await ranking(again)).toEqual(expected);
    await again.close();
  });
});
