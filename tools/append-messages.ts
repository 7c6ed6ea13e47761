import { z } from 'zod';
import { Identifier } from '../src/models/common.js';
import { MemoryMessageInput } from '../src/models/message.js';
import { SummarizationReport } from '../src/models/working-memory.js';
import { NamespaceArg, UserArg } from './shared.js';
import { defineTool } from './types.js';
import { WindowArgs } from './window-args.js';

export default defineTool({
  name: 'append_messages',
  title: 'Append messages to working memory',
  description:
    "Adds messages to the end of a session's working memory, creating the session if needed. Safe when several " +
    'agents write at once: every message lands exactly once (re-sending a message id does not duplicate it). ' +
    'Give model_name or context_window_max to keep the session within that window, or max_messages to cap it ' +
    '(older messages are summarized).',
  input: {
    session_id: Identifier.describe('The session (conversation) id.'),
    messages: z.array(MemoryMessageInput).min(1).max(1000),
    namespace: NamespaceArg,
    user_id: UserArg,
    ttl_seconds: z.number().int().positive().optional().describe('Refresh the session expiry to this many seconds.'),
    ...WindowArgs,
  },
  output: {
    session_id: z.string(),
    appended: z.number().int(),
    total_messages: z.number().int(),
    version: z.number().int(),
    summarization: SummarizationReport.optional(),
  },
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    const result = await ctx.engine.workingMemory.append(
      {
        session_id: args.session_id,
        namespace: args.namespace ?? ctx.defaults.namespace ?? null,
        user_id: args.user_id ?? ctx.defaults.user_id ?? null,
      },
      args.messages,
      {
        ttl_seconds: args.ttl_seconds,
        recent_messages_limit: 1,
        model_name: args.model_name,
        context_window_max: args.context_window_max,
        max_messages: args.max_messages,
      },
    );
    return {
      session_id: result.session_id,
      appended: result.appended,
      total_messages: result.total_messages,
      version: result.version,
      ...(result.summarization ? { summarization: result.summarization } : {}),
    };
  },
});
