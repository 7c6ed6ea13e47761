import { z } from 'zod';
import { ToolMemoryInput } from './shared.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'create_long_term_memories',
  title: 'Store long-term memories',
  description:
    'Stores facts worth remembering across conversations: user preferences, decisions, biographical facts, ' +
    'events. Write each memory as one self-contained sentence a stranger could understand later: replace ' +
    'pronouns with names ("Alice prefers window seats", not "she likes that") and relative dates with absolute ' +
    'ones (call get_current_datetime first; put the date in the text and in event_date). Use memory_type ' +
    '"semantic" for lasting facts and "episodic" for dated events. The call returns after the memories are ' +
    'stored and searchable. An equal memory already stored is not stored twice; re-sending an id overwrites it.',
  input: {
    memories: z.array(ToolMemoryInput).min(1).max(500).describe('The memories to store.'),
    deduplicate: z.boolean().default(true).describe('Skip memories equal to one already stored (default true).'),
  },
  output: {
    status: z.string(),
    created: z.number().int(),
    updated: z.number().int(),
    duplicates: z.number().int(),
    memories: z.array(
      z.object({ id: z.string(), outcome: z.enum(['created', 'updated', 'duplicate']), text: z.string() }),
    ),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    await ctx.progress(0, args.memories.length, 'embedding and indexing');
    const { outcomes, memories } = await ctx.engine.longTerm.create(args.memories, {
      deduplicate: args.deduplicate,
      defaults: { namespace: ctx.defaults.namespace, user_id: ctx.defaults.user_id },
    });
    await ctx.progress(args.memories.length, args.memories.length, 'stored');
    const texts = new Map(memories.map((m) => [m.id, m.text]));
    const count = (s: string) => outcomes.filter((o) => o.status === s).length;
    return {
      status: 'ok',
      created: count('created'),
      updated: count('updated'),
      duplicates: count('duplicate'),
      memories: outcomes.map((o) => {
        const id = o.status === 'duplicate' ? o.existing_id : o.id;
        return { id, outcome: o.status, text: texts.get(id) ?? '' };
      }),
    };
  },
});
