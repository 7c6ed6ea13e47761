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
 * the terms (tf) and in the context (ctf) and the memory's doc_len (all its tokens), so that search scores a hit
 * from its row alone; memories.doc_len gets the same length, which keyword_stats' triggers add up, and term_docs'
 * triggers count the documents of each token. `replace`: the memories may have rows already (an update).
 *
 * Rows are written in token order: the rows of one token from one write then share heap pages, so a search reads
 * a batch's hits for a token from one page or two rather than one page per hit (what a bulk import gains; rows
 * written one memory at a time stay where they land).
 */
export async function writeTerms(sql: Sql, entries: TermsEntry[], replace: boolean): Promise<void> {
  if (entries.length === 0) return;
  const pks = entries.map((e) => e.pk);
  if (replace) await sql.run('DELETE FROM memory_terms WHERE memory_pk = ANY($1::bigint[])', [pks]);
  await sql.run(
    `WITH v AS (SELECT * FROM json_to_recordset($1::json) AS v(pk bigint, terms text, ctx text)),
     x AS (
       SELECT x.pk, x.lexeme, sum(x.tf)::integer AS tf, sum(x.ctf)::integer AS ctf FROM (
         SELECT v.pk, t.lexeme, cardinality(t.positions) AS tf, 0 AS ctf FROM v, ${tokensOf('v.terms')} AS t
         UNION ALL
         SELECT v.pk, t.lexeme, 0, cardinality(t.positions) FROM v, ${tokensOf('v.ctx')} AS t
       ) AS x GROUP BY x.lexeme, x.pk
     ),
     len AS (SELECT x.pk, sum(x.tf + x.ctf)::integer AS len FROM x GROUP BY x.pk),
     written AS (
       -- Runs although nothing reads it, as every data-modifying WITH does.
       INSERT INTO memory_terms (term, memory_pk, tf, ctf, doc_len)
       SELECT x.lexeme, x.pk, x.tf, x.ctf, len.len FROM x JOIN len ON len.pk = x.pk ORDER BY x.lexeme, x.pk
     )
     UPDATE memories m SET doc_len = coalesce(len.len, 0)
     FROM unnest($2::bigint[]) AS p(pk) LEFT JOIN len ON len.pk = p.pk
     WHERE m.pk = p.pk AND m.doc_len <> coalesce(len.len, 0)`,
    [JSON.stringify(entries.map((e) => ({ pk: e.pk, terms: e.terms, ctx: e.contextTerms }))), pks],
  );
}
