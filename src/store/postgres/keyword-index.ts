import type { Sql } from './client.js';

/** What the keyword index holds of one memory. */
export interface TermsEntry {
  pk: number;
  terms: string;
  contextTerms: string;
}

/**
 * The tokens of a text as the keyword index and queries see them: PostgreSQL's parser with the `simple`
 * configuration (lower-cased words, no stemming, no stop words: the core's analyser already did both), which keeps
 * every script's letters and marks, Devanagari and Tamil vowel signs included. `tsvector` keeps up to 256
 * positions of a word, which is what a token's count here is; texts are far below that.
 */
export const tokensOf = (column: string) => `unnest(to_tsvector('simple', ${column}))`;

/**
 * Rewrites the keyword index rows of these memories: one memory_terms row per distinct token, with its count in
 * the terms (tf) and in the context (ctf), and the memory's doc_len (all its tokens), which keyword_stats' triggers
 * add up. `replace`: the memories may have rows already (an update).
 */
export async function writeTerms(sql: Sql, entries: TermsEntry[], replace: boolean): Promise<void> {
  if (entries.length === 0) return;
  const pks = entries.map((e) => e.pk);
  if (replace) await sql.run('DELETE FROM memory_terms WHERE memory_pk = ANY($1::bigint[])', [pks]);
  await sql.run(
    `WITH v AS (SELECT * FROM json_to_recordset($1::json) AS v(pk bigint, terms text, ctx text))
     INSERT INTO memory_terms (term, memory_pk, tf, ctf)
     SELECT x.lexeme, x.pk, sum(x.tf)::integer, sum(x.ctf)::integer FROM (
       SELECT v.pk, t.lexeme, cardinality(t.positions) AS tf, 0 AS ctf FROM v, ${tokensOf('v.terms')} AS t
       UNION ALL
       SELECT v.pk, t.lexeme, 0, cardinality(t.positions) FROM v, ${tokensOf('v.ctx')} AS t
     ) AS x GROUP BY x.lexeme, x.pk`,
    [JSON.stringify(entries.map((e) => ({ pk: e.pk, terms: e.terms, ctx: e.contextTerms })))],
  );
  await sql.run(
    `UPDATE memories m SET doc_len = d.len
     FROM (SELECT p.pk, coalesce((SELECT sum(tf + ctf) FROM memory_terms WHERE memory_pk = p.pk), 0)::integer AS len
           FROM unnest($1::bigint[]) AS p(pk)) AS d
     WHERE m.pk = d.pk AND m.doc_len <> d.len`,
    [pks],
  );
}
