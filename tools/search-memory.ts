import { z } from 'zod';
import { MemoryRecordResults } from '../src/models/memory-record.js';
import { SearchMode } from '../src/models/search.js';
import { FilterArgs, withDefaultScope } from './shared.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'search_memory',
  title: 'Search long-term memory',
  description:
    'Finds stored long-term memories relevant to a question. Call it before answering anything that may depend ' +
    'on what the user told you earlier (preferences, people, plans, past events). Phrase `query` as a ' +
    'self-contained question with names instead of pronouns ("Where does Alice want to travel?"). Narrow with ' +
    'filters (topics, entities, memory_type, created_at, event_date). An empty query lists memories matching the ' +
    'filters, newest first. Results carry ids you can pass to edit_long_term_memory or delete_long_term_memories.',
  input: {
    query: z.string().default('').describe('What to look for, as a self-contained question or phrase.'),
    text: z.string().optional().describe('Alias of query, for clients of the reference server.'),
    ...FilterArgs,
    search_mode: SearchMode.default('hybrid').describe('hybrid (default) fuses keyword and vector ranking.'),
    distance_threshold: z.number().min(0).max(2).optional().describe('Maximum cosine distance (semantic part).'),
    hybrid_alpha: z.number().min(0).max(1).optional(),
    recency_boost: z.boolean().optional(),
    limit: z.number().int().min(1).max(100).default(10),
    offset: z.number().int().min(0).default(0),
  },
  output: MemoryRecordResults.shape,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run({ query, text, ...rest }, ctx) {
    return ctx.engine.longTerm.search({ ...withDefaultScope(rest, ctx), text: query || text || '' });
  },
});
