import type { StoreFilter } from '../../models/filters.js';
import type { KeywordHit, Page } from '../port.js';
import type { Sql } from './client.js';
import { filterSql, Params } from './filter-sql.js';
import { tokensOf } from './keyword-index.js';

export const DEFAULT_CONTEXT_WEIGHT = 0.5;

/** SQLite FTS5's BM25 constants, so that scores, and so rankings and keyword ceilings, match the other stores. */
const K1 = 1.2;
const B = 0.75;

/** Every hit carries its memory's times, importance and pin, so ranking needs no record fetch. */
export const HIT_TIMES =
  'm.created_at AS "createdMs", m.last_accessed AS "lastAccessedMs", m.importance AS importance, m.pinned AS pinned';

/**
 * The distinct query tokens, tokenised as the index is (operators and punctuation are never query syntax), each
 * with its document frequency: the sum of its term_docs slots, read by key.
 */
const QUERY_TOKENS = (param: string) =>
  `SELECT q.term, coalesce((SELECT sum(d.docs) FROM term_docs d WHERE d.term = q.term), 0)::float8 AS df
   FROM (SELECT DISTINCT t.lexeme COLLATE "C" AS term FROM ${tokensOf(`${param}::text`)} AS t) AS q`;

/** How many memories are indexed and how many tokens they hold, summed over keyword_stats' slots. */
const STATS =
  'SELECT coalesce(sum(docs), 0)::float8 AS n, coalesce(sum(tokens), 0)::float8 AS tokens FROM keyword_stats';

/** FTS5's inverse document frequency, floored at 1e-6 as FTS5 floors it (a term in most memories still counts). */
const IDF = (n: string, df: string) => `greatest(1e-6, ln((${n} - ${df} + 0.5) / (${df} + 0.5)))`;

/**
 * BM25 as SQLite FTS5 computes it over two columns (terms weight 1, context `contextWeight`): per query token,
 * idf x f(k1 + 1) / (f + k1(1 - b + b·len/avglen)), where f is the weighted count of the token in the memory and
 * len its tokens in both columns; document frequencies count every memory, whatever the filter, as FTS5 does.
 * Best first, ties by insertion order (pk).
 *
 * Each hit is scored from its memory_terms row (counts and length), found by the primary key's index: the token
 * list is an array the index condition takes whatever the planner guesses of it (PGlite, and a server before its
 * first ANALYZE, have no statistics, and would otherwise scan every row). The filter keeps its memories before
 * anything is summed, and only the best k hits are joined to memories. A memory's parts are summed in token order,
 * so that equal memories get equal scores bit for bit and tie by pk.
 */
export async function keywordSearch(
  sql: Sql,
  terms: string[],
  filter: StoreFilter,
  k: number,
  contextWeight = DEFAULT_CONTEXT_WEIGHT,
  count = true,
): Promise<Page<KeywordHit>> {
  const text = terms.filter((t) => t.trim() !== '').join(' ');
  if (text === '') return { items: [], total: 0 };
  const limit = Math.max(0, Math.floor(k));
  const p = new Params(text, contextWeight);
  const f = filterSql(filter, p);
  const freq = '(t.tf + $2::float8 * t.ctf)';
  const rows = await sql.rows<KeywordHit & { total?: number }>(
    `WITH q AS MATERIALIZED (${QUERY_TOKENS('$1')}),
     stats AS (${STATS}),
     parts AS (
       SELECT t.memory_pk, t.term,
         ${IDF('s.n', 'q.df')} * ${freq} * ${K1 + 1}
         / (${freq} + ${K1} * (${1 - B} + ${B} * t.doc_len / nullif(s.tokens / s.n, 0))) AS part
       FROM q JOIN memory_terms t ON t.term = q.term CROSS JOIN stats s
       WHERE t.term = ANY (ARRAY(SELECT term FROM q))
         ${f.empty ? '' : `AND t.memory_pk IN (SELECT m.pk FROM memories m WHERE ${f.where})`}
     ),
     best AS (
       SELECT memory_pk, sum(part ORDER BY term) AS score${count ? ', count(*) OVER () AS total' : ''}
       FROM parts GROUP BY memory_pk
       ORDER BY score DESC, memory_pk
       LIMIT ${p.add(count ? Math.max(1, limit) : limit)}
     )
     SELECT m.id, b.score, ${HIT_TIMES}${count ? ', b.total' : ''}
     FROM best b JOIN memories m ON m.pk = b.memory_pk
     ORDER BY b.score DESC, m.pk`,
    p.values,
  );
  const total = count ? (rows[0]?.total ?? 0) : rows.length;
  const items = rows.slice(0, limit).map(({ total: _, ...hit }) => hit);
  return { items, total };
}

/**
 * The BM25 of a memory holding each token once at the average length: the sum of the tokens' idf (the length
 * factor is then 1), on keywordSearch's scale.
 */
export async function keywordCeiling(sql: Sql, terms: string[]): Promise<number> {
  const text = terms.filter((t) => t.trim() !== '').join(' ');
  if (text === '') return 0;
  const row = await sql.one<{ ceiling: number | null }>(
    `WITH q AS (${QUERY_TOKENS('$1')}), stats AS (${STATS})
     SELECT sum(${IDF('s.n', 'q.df')}) AS ceiling FROM q CROSS JOIN stats s WHERE s.n > 0`,
    [text],
  );
  return row?.ceiling ?? 0;
}
