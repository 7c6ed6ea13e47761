import { z } from 'zod';
import { Identifier } from '../src/models/common.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'delete_long_term_memories',
  title: 'Delete long-term memories',
  description:
    'Deletes long-term memories by id, for example when the user asks you to forget something. This cannot be undone.',
  // An empty list deletes nothing and says so, as in the reference server.
  input: { memory_ids: z.array(Identifier).max(1000) },
  output: { status: z.string(), deleted: z.number().int() },
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run({ memory_ids }, ctx) {
    const deleted = memory_ids.length ? await ctx.engine.longTerm.delete(memory_ids) : 0;
    return { status: `ok, deleted ${deleted} memories`, deleted };
  },
});
