import { z } from 'zod';
import { invalid } from '../src/errors.js';
import type { TagFilter } from '../src/models/filters.js';
import { PromptMessage } from '../src/models/prompt.js';
import { RecencyParams, SearchMode } from '../src/models/search.js';
import {
  modeArgsError,
  nullable,
  orNull,
  referenceFilter,
  referenceFilters,
  ServerSideRecencyArg,
} from './reference-args.js';
import { FilterArgs } from './shared.js';
import { defineTool } from './types.js';

const { session_id: sessionFilter, namespace, user_id, ...searchFilters } = FilterArgs;

/** Arguments that only shape the long-term search; refused when include_long_term_search is false. */
const searchOnly = {
  ...referenceFilters(searchFilters),
  search_mode: orNull(SearchMode.optional()).describe('hybrid (default) fuses keyword and vector ranking.'),
  distance_threshold: orNull(z.number().min(0).max(2).optional()),
  hybrid_alpha: orNull(z.number().min(0).max(1).optional()),
  limit: orNull(z.number().int().min(1).max(100).optional()).describe(
    'How many long-term memories to include (default 10).',
  ),
  offset: orNull(z.number().int().min(0).optional()).describe('Skip this many long-term memories (paging).'),
  optimize_query: orNull(z.boolean().optional()).describe(
    'Rewrite the query for the long-term search with the fast LLM first (the query as given without one).',
  ),
  ...nullable(RecencyParams),
  server_side_recency: ServerSideRecencyArg,
};

/** The one value of a filter that names a single session, namespace or user; undefined when it is not one. */
function single(f: TagFilter | undefined): string | undefined {
  if (!f) return undefined;
  const ops = Object.keys(f);
  return ops.length === 1 && f.eq !== undefined ? f.eq : undefined;
}

export default defineTool({
  name: 'memory_prompt',
  title: 'Build a prompt with memory',
  description:
    "Builds the messages to answer the user's query with memory: the conversation summary and recent messages " +
    'of the session (when session_id is given, trimmed to fit the model window), the long-term memories relevant ' +
    'to the query (with their ids), then the query itself. Use it instead of search_memory when you want a ready ' +
    'prompt. include_long_term_search: false builds it from the session alone.',
  input: {
    query: z.string().min(1).describe("The user's question or message."),
    session_id: referenceFilter('session_id', sessionFilter).describe(
      'Include this working-memory session: its id, or {"eq": id} as the reference server takes it.',
    ),
    namespace: referenceFilter('namespace', namespace).describe(
      'Namespace of the session and filter of the long-term search (a string or a filter such as {"eq": "x"}); ' +
        'defaults to the server default namespace.',
    ),
    user_id: referenceFilter('user_id', user_id).describe(
      'User of the session and filter of the long-term search; defaults to the server default user.',
    ),
    model_name: orNull(z.string().optional()).describe('Model whose context window bounds the session part.'),
    context_window_max: orNull(z.number().int().positive().optional()).describe('Explicit token budget.'),
    include_long_term_search: orNull(z.boolean().default(true)).describe(
      'Search long-term memory (default true); false builds the prompt from the session alone.',
    ),
    ...searchOnly,
  },
  output: {
    messages: z.array(PromptMessage),
    long_term_memory_ids: z.array(z.string()),
    trimmed_messages: z.number().int(),
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const {
      query,
      session_id,
      model_name,
      context_window_max,
      include_long_term_search,
      optimize_query,
      server_side_recency: _sameRanking,
      ...search
    } = args;
    const sessionId = single(session_id);
    if (session_id && sessionId === undefined) {
      throw invalid('session_id names one working-memory session: give its id or {"eq": id}, no other operator.');
    }
    const nsFilter = args.namespace ?? (ctx.defaults.namespace ? { eq: ctx.defaults.namespace } : undefined);
    const userFilter = args.user_id ?? (ctx.defaults.user_id ? { eq: ctx.defaults.user_id } : undefined);
    if (sessionId !== undefined) {
      for (const [name, f] of [
        ['namespace', args.namespace],
        ['user_id', args.user_id],
      ] as const) {
        if (f && single(f) === undefined) {
          throw invalid(
            `With session_id, ${name} must name one value (a string or {"eq": value}): the session has one.`,
          );
        }
      }
    }
    if (!include_long_term_search) {
      if (sessionId === undefined) {
        throw invalid(
          'memory_prompt needs session_id, or include_long_term_search left on: there is nothing to build.',
        );
      }
      const given = Object.keys(searchOnly).filter((k) => (args as Record<string, unknown>)[k] !== undefined);
      if (given.length) {
        throw invalid(
          `${given.join(', ')} only shape the long-term search, which include_long_term_search: false turns off.`,
        );
      }
    } else if (sessionId === undefined && (model_name !== undefined || context_window_max !== undefined)) {
      throw invalid('model_name and context_window_max size the session part: give session_id with them.');
    }
    const refused = include_long_term_search ? modeArgsError(search) : undefined;
    if (refused) throw invalid(refused);
    let text = query;
    if (include_long_term_search && optimize_query) text = (await ctx.engine.optimizeQuery(query)).text;
    const result = await ctx.engine.memoryPrompt({
      query,
      session:
        sessionId === undefined
          ? undefined
          : {
              session_id: sessionId,
              namespace: single(nsFilter) ?? null,
              user_id: single(userFilter) ?? null,
              model_name,
              context_window_max,
            },
      long_term_search: include_long_term_search
        ? {
            ...search,
            text,
            namespace: nsFilter,
            user_id: userFilter,
            search_mode: search.search_mode ?? 'hybrid',
            limit: search.limit ?? 10,
            offset: search.offset ?? 0,
          }
        : undefined,
    });
    return {
      messages: result.messages,
      long_term_memory_ids: result.long_term_memories?.memories.map((m) => m.id) ?? [],
      trimmed_messages: result.trimmed_messages,
    };
  },
});
