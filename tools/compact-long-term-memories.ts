import { z } from 'zod';
import { invalid } from '../src/errors.js';
import { NamespaceArg, UserArg } from './shared.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'compact_long_term_memories',
  title: 'Compact long-term memories',
  description:
    'Cleans up long-term memory: deletes exact duplicates and, when the server has an LLM, merges memories that ' +
    'state the same fact into one (memories that merely share a subject are never merged). Limit it to a ' +
    'namespace and/or user. Returns what was removed and merged.',
  input: {
    namespace: NamespaceArg,
    user_id: UserArg,
    session_id: z
      .string()
      .optional()
      .describe('Not supported here (the reference server takes it): compaction works per namespace and user.'),
  },
  output: {
    scanned: z.number().int(),
    duplicates_removed: z.number().int(),
    merged_groups: z.number().int(),
    merged_memories_removed: z.number().int(),
    semantic: z.enum(['done', 'skipped']),
    reason: z.string().optional(),
  },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    // The reference server's tool takes session_id; our duplicate index is per namespace and user, so a session
    // scope cannot be honoured and is refused rather than widened silently to the whole namespace.
    if (args.session_id !== undefined) {
      throw invalid(
        'compact_long_term_memories cannot be limited to a session on this server: give namespace and/or user_id.',
      );
    }
    await ctx.progress(0, 1, 'compacting');
    const report = await ctx.engine.compact({
      namespace: args.namespace ?? ctx.defaults.namespace ?? null,
      user_id: args.user_id ?? ctx.defaults.user_id ?? null,
    });
    await ctx.progress(1, 1, 'done');
    return report;
  },
});
