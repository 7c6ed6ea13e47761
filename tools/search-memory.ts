import { z } from 'zod';
import { invalid } from '../src/errors.js';
import { MemoryRecordResults } from '../src/models/memory-record.js';
import { RecencyParams, SearchMode } from '../src/models/search.js';
import { modeArgsError, nullable, orNull, referenceFilters, ServerSideRecencyArg } from './reference-args.js';
import { FilterArgs, withDefaultScope } from './shared.js';
import { defineTool } from './types.js';

/**
 * The arguments of both search tools: ours (`query`) and the reference server's `search_long_term_memory`
 * (`text`, which it requires but allows to be null, filter objects with `field`, `optimize_query`, the recency_*
 * weights and `server_side_recency`). Null means "not given" for every optional argument.
 */
const input = {
  query: orNull(z.string().default('')).describe('What to look for, as a self-contained question or phrase.'),
  text: orNull(z.string().optional()).describe('Same as query (the reference server calls it text).'),
  ...referenceFilters(FilterArgs),
  search_mode: orNull(SearchMode.default('hybrid')).describe('hybrid (default) fuses keyword and vector ranking.'),
  distance_threshold: orNull(z.number().min(0).max(2).optional()).describe('Maximum cosine distance (semantic part).'),
  hybrid_alpha: orNull(z.number().min(0).max(1).optional()),
  ...nullable(RecencyParams),
  server_side_recency: ServerSideRecencyArg,
  optimize_query: orNull(z.boolean().default(false)).describe(
    'Rewrite the query for search with the fast LLM first (falls back to the query as given without one).',
  ),
  limit: orNull(z.number().int().min(1).max(100).default(10)),
  offset: orNull(z.number().int().min(0).default(0)),
};

const description =
  'Finds stored long-term memories relevant to a question. Call it before answering anything that may depend ' +
  'on what the user told you earlier (preferences, people, plans, past events). Phrase `query` as a ' +
  'self-contained question with names instead of pronouns ("Where does Alice want to travel?"). Narrow with ' +
  'filters (topics, entities, memory_type, created_at, event_date). An empty query lists memories matching the ' +
  'filters, newest first. Results carry ids you can pass to edit_long_term_memory or delete_long_term_memories.';

function searchTool(name: string, title: string, text: string) {
  return defineTool({
    name,
    title,
    description: text,
    input,
    output: MemoryRecordResults.shape,
    annotations: { readOnlyHint: true, openWorldHint: false },
    async run({ query, text, optimize_query, server_side_recency: _sameRanking, ...rest }, ctx) {
      const refused = modeArgsError(rest);
      if (refused) throw invalid(refused);
      let search = query || text || '';
      // Never fails the search: without an LLM, or when it fails, the text is searched as given.
      if (optimize_query && search.trim()) search = (await ctx.engine.optimizeQuery(search)).text;
      return ctx.engine.longTerm.search({ ...withDefaultScope(rest, ctx), text: search });
    },
  });
}

export default searchTool('search_memory', 'Search long-term memory', description);

/**
 * The reference server renamed search_memory to search_long_term_memory; agent configs written for it name the
 * new tool. It is a second *listed* tool, not a hidden alias: model-driven clients (Claude Desktop, Cursor, agent
 * frameworks with tool allow-lists) can only call tools that tools/list shows them, so an unlisted alias would
 * work for hand-written calls only. Its description says it is the same tool, so a model choosing between the two
 * is not misled (docs/compatibility.md).
 */
export const searchLongTermMemory = searchTool(
  'search_long_term_memory',
  'Search long-term memory (reference name)',
  `The same tool as search_memory, under the name Redis Agent Memory Server uses; it takes the same arguments ` +
    `(text or query). ${description}`,
);
