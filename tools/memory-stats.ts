import { MemoryStats } from '../src/models/users.js';
import { NamespaceArg, UserArg } from './shared.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'memory_stats',
  title: 'Memory statistics',
  description:
    'Counts what is remembered: long-term memories by namespace, user, type and pin, the oldest and newest, ' +
    'sessions and their messages, storage size and the embedding model. Narrow it to a namespace and/or user.',
  input: { namespace: NamespaceArg, user_id: UserArg },
  output: MemoryStats.shape,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run(args, ctx) {
    return ctx.engine.stats({
      namespace: args.namespace ?? ctx.defaults.namespace,
      user_id: args.user_id ?? ctx.defaults.user_id,
    });
  },
});
