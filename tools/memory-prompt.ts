import { z } from 'zod';
import { Identifier } from '../src/models/common.js';
import { PromptMessage } from '../src/models/prompt.js';
import { SearchMode } from '../src/models/search.js';
import { FilterArgs, NamespaceArg, UserArg } from './shared.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'memory_prompt',
  title: 'Build a prompt with memory',
  description:
    "Builds the messages to answer the user's query with memory: the conversation summary and recent messages " +
    'of the session (when session_id is given, trimmed to fit the model window), the long-term memories relevant ' +
    'to the query (with their ids), then the query itself. Use it instead of search_memory when you want a ready ' +
    'prompt.',
  input: {
    query: z.string().min(1).describe("The user's question or message."),
    session_id: Identifier.optional().describe('Include this working-memory session.'),
    namespace: NamespaceArg,
    user_id: UserArg,
    model_name: z.string().optional().describe('Model whose context window bounds the session part.'),
    context_window_max: z.number().int().positive().optional().describe('Explicit token budget.'),
    topics: FilterArgs.topics,
    entities: FilterArgs.entities,
    memory_type: FilterArgs.memory_type,
    created_at: FilterArgs.created_at,
    event_date: FilterArgs.event_date,
    search_mode: SearchMode.default('hybrid'),
    distance_threshold: z.number().min(0).max(2).optional(),
    limit: z.number().int().min(1).max(100).default(10).describe('How many long-term memories to include.'),
  },
  output: {
    messages: z.array(PromptMessage),
    long_term_memory_ids: z.array(z.string()),
    trimmed_messages: z.number().int(),
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    const namespace = args.namespace ?? ctx.defaults.namespace;
    const user_id = args.user_id ?? ctx.defaults.user_id;
    const result = await ctx.engine.memoryPrompt({
      query: args.query,
      session: args.session_id
        ? {
            session_id: args.session_id,
            namespace,
            user_id,
            model_name: args.model_name,
            context_window_max: args.context_window_max,
          }
        : undefined,
      long_term_search: {
        text: args.query,
        namespace: namespace ? { eq: namespace } : undefined,
        user_id: user_id ? { eq: user_id } : undefined,
        topics: args.topics,
        entities: args.entities,
        memory_type: args.memory_type,
        created_at: args.created_at,
        event_date: args.event_date,
        search_mode: args.search_mode,
        distance_threshold: args.distance_threshold,
        limit: args.limit,
      },
    });
    return {
      messages: result.messages,
      long_term_memory_ids: result.long_term_memories?.memories.map((m) => m.id) ?? [],
      trimmed_messages: result.trimmed_messages,
    };
  },
});
