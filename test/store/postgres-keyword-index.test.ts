/**
 * The PostgreSQL keyword index's bookkeeping: term_docs (document frequencies, spread over slots) and the lengths
 * copied into memory_terms stay exact through every kind of write, an erased user's words leave term_docs, and a
 * database an older server (schema version 1) filled searches the same once upgraded.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { connectClient, quotedSchema } from '../../src/store/postgres/client.js';
import { migrate } from '../../src/store/postgres/migrations.js';
import { openPostgresStore, type PostgresStore } from '../../src/store/postgres/postgres-store.js';
import { freshSchema, freshStore, harness } from './postgres-helpers.js';
import { DIM, MODEL, mem, noFilter } from './records.js';

const open: PostgresStore[] = [];
afterEach(async () => {
  for (const s of open.splice(0)) await s.close();
});
async function store(): Promise<PostgresStore> {
  const s = await freshStore();
  open.push(s);
  await s.ensureEmbeddingModel(MODEL, DIM);
  return s;
}

/** Terms whose term_docs total differs from the memories holding them (a leftover zero total included). */
const MISCOUNTED = `SELECT coalesce(t.term, d.term) AS term, t.n AS holders, d.n AS counted
  FROM (SELECT term, count(*)::float8 AS n FROM memory_terms GROUP BY term) AS t
  FULL JOIN (SELECT term, sum(docs)::float8 AS n FROM term_docs GROUP BY term) AS d ON d.term = t.term
  WHERE t.n IS DISTINCT FROM d.n`;
/** Index rows whose length is not their memory's, and memories whose length is not their tokens'. */
const MISMEASURED = `SELECT
  (SELECT count(*) FROM memory_terms t JOIN memories m ON m.pk = t.memory_pk WHERE t.doc_len <> m.doc_len) AS rows,
  (SELECT count(*) FROM memories m WHERE m.doc_len <>
     coalesce((SELECT sum(tf + ctf) FROM memory_terms t WHERE t.memory_pk = m.pk), 0)) AS memories`;

async function expectExact(s: PostgresStore): Promise<void> {
  expect(await s.db.rows(MISCOUNTED)).toEqual([]);
  expect(await s.db.one(MISMEASURED)).toEqual({ rows: 0, memories: 0 });
}

describe('postgres keyword index bookkeeping', () => {
  it('keeps document frequencies and lengths exact through writes, deletes, erasure and a rebuild', async () => {
    const s = await store();
    const items = [
      mem({ user_id: 'u1', terms: 'walrus tusk', contextTerms: 'ivory' }),
      mem({ user_id: 'u1', terms: 'walrus seal seal' }),
      mem({ user_id: 'u2', terms: 'otter seal', contextTerms: 'secretword' }),
      mem({ user_id: 'u2', terms: 'otter' }),
    ];
    await s.putMemories(items, { deduplicate: false });
    await expectExact(s);

    // Other processes' slots: seal's count split over two, and a slot walrus's count left at zero.
    await s.db.run(
      `WITH old AS (SELECT slot FROM term_docs WHERE term = 'seal')
       INSERT INTO term_docs (term, slot, docs) SELECT 'seal', (slot + 3) % 16, 1 FROM old
       UNION ALL SELECT 'walrus', (slot + 5) % 16, 0 FROM old`,
    );
    await s.db.run(`UPDATE term_docs SET docs = docs - 1 WHERE term = 'seal' AND docs = 2`);
    await expectExact(s);

    await s.setIndexTerms([{ id: items[0]!.record.id, terms: 'narwhal tusk', contextTerms: '' }]);
    await expectExact(s);
    expect(await s.db.rows(`SELECT term FROM term_docs WHERE term = 'ivory'`)).toEqual([]);

    await s.eraseUser('u2', undefined);
    await expectExact(s);
    expect(await s.db.rows(`SELECT term FROM term_docs WHERE term IN ('otter', 'secretword')`)).toEqual([]);

    await s.deleteMemories([items[1]!.record.id]);
    await expectExact(s);
    expect(await s.db.rows(`SELECT term FROM term_docs WHERE term IN ('seal', 'walrus')`)).toEqual([]);

    await s.rebuildKeywordIndex((records) =>
      records.map((r) => ({ id: r.id, terms: 'rebuilt words', contextTerms: 'tusk' })),
    );
    await expectExact(s);
    expect(await s.db.rows('SELECT term, sum(docs)::float8 AS n FROM term_docs GROUP BY term ORDER BY term')).toEqual([
      { term: 'rebuilt', n: 1 },
      { term: 'tusk', n: 1 },
      { term: 'words', n: 1 },
    ]);
  });
});

describe('postgres keyword index upgrade', () => {
  it('a schema version 1 database gets lengths and document frequencies, and searches as a new one', async () => {
    const fresh = await store();
    const vocabulary = ['apple', 'pear', 'fig', 'plum', 'kiwi'];
    const items = Array.from({ length: 30 }, (_, i) =>
      mem({
        terms: Array.from({ length: 1 + (i % 4) }, (_, j) => vocabulary[(i + j * j) % vocabulary.length]).join(' '),
        contextTerms: i % 3 ? `${vocabulary[i % vocabulary.length]} more` : '',
      }),
    );
    await fresh.putMemories(items, { deduplicate: false });

    // As a version 1 server left it: the same memories and index rows, without the columns and table of version 2.
    const schema = freshSchema();
    const old = quotedSchema(schema)!;
    const { client, sql } = await connectClient({ url: harness.url });
    try {
      await sql.run('BEGIN');
      await migrate(sql, old, harness.url, 1);
      await sql.run('COMMIT');
    } finally {
      await client.end();
    }
    // The columns version 1 has (later migrations add more).
    const columns = (
      await fresh.db.rows<{ c: string }>(
        `SELECT column_name AS c FROM information_schema.columns WHERE table_schema = $1 AND table_name = 'memories' ORDER BY ordinal_position`,
        [schema],
      )
    )
      .map((r) => r.c)
      .join(', ');
    await fresh.db.run(
      `INSERT INTO ${old}.memories (${columns}) OVERRIDING SYSTEM VALUE SELECT ${columns} FROM memories`,
    );
    await fresh.db.run(
      `INSERT INTO ${old}.memory_terms (term, memory_pk, tf, ctf) SELECT term, memory_pk, tf, ctf FROM memory_terms`,
    );

    const upgraded = await openPostgresStore({ url: harness.url, schema, poolSize: 1 });
    open.push(upgraded);
    try {
      await expectExact(upgraded);
      for (const terms of [['apple'], ['pear', 'fig'], ['more', 'kiwi', 'plum']]) {
        expect(await upgraded.keywordSearch(terms, noFilter(), 10)).toEqual(
          await fresh.keywordSearch(terms, noFilter(), 10),
        );
        expect(await upgraded.keywordCeiling(terms)).toBe(await fresh.keywordCeiling(terms));
      }
    } finally {
      await upgraded.destroy();
    }
  });
});
