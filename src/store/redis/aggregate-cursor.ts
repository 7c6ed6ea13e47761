import type { RedisClient } from './client.js';

/** Rows per cursor read: each read is one reply, so this bounds the reply size, not the total. */
const CURSOR_PAGE = 1000;

export interface AggregateOptions {
  /** Loaded from each matching hash (names without `@`). */
  load: readonly string[];
  /** Only the `max` newest matches (highest `seq`), instead of every one. */
  newest?: number;
}

/**
 * Every memory a query matches, with the loaded fields, streamed through an FT.AGGREGATE cursor: linear in the
 * matches, where paging FT.SEARCH with offsets re-ranks everything before the offset on every page.
 * `TIMEOUT 0` is needed: a cursor read past the module's query timeout (500 ms by default) otherwise ends the
 * stream early without an error, and the caller would take part of the matches for all of them.
 */
export async function* aggregateRows(
  client: RedisClient,
  index: string,
  query: string,
  opts: AggregateOptions,
): AsyncGenerator<Record<string, string>[]> {
  const sort = opts.newest === undefined ? [] : ['SORTBY', 2, '@seq', 'DESC', 'MAX', opts.newest];
  const load = ['LOAD', opts.load.length, ...opts.load.map((f) => `@${f}`)];
  let reply = (await client.call(
    'FT.AGGREGATE',
    index,
    query,
    // Sorting first: the sort reads only the sortable seq, and the fields are then loaded for the kept rows alone.
    ...sort,
    ...load,
    'WITHCURSOR',
    'COUNT',
    CURSOR_PAGE,
    'TIMEOUT',
    0,
    'DIALECT',
    2,
  )) as [unknown[], number | string];
  for (;;) {
    const [results, cursor] = reply;
    yield results.slice(1).map(fieldsOf);
    if (Number(cursor) === 0) return;
    reply = (await client.call('FT.CURSOR', 'READ', index, cursor, 'COUNT', CURSOR_PAGE)) as typeof reply;
  }
}

function fieldsOf(row: unknown): Record<string, string> {
  const values = row as unknown[];
  const out: Record<string, string> = {};
  for (let i = 0; i + 1 < values.length; i += 2) out[String(values[i])] = String(values[i + 1]);
  return out;
}
