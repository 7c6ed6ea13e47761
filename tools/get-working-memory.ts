import { z } from 'zod';
import { Identifier } from '../src/models/common.js';
import { WorkingMemoryResponse } from '../src/models/working-memory.js';
import { NamespaceArg, UserArg } from './shared.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'get_working_memory',
  title: 'Read working memory',
  description:
    "Reads a session's working memory: recent messages, the running summary (context) and data. A session id is " +
    'enough when it is unique; otherwise also give namespace and user_id.',
  input: {
    session_id: Identifier.describe('The session (conversation) id.'),
    namespace: NamespaceArg,
    user_id: UserArg,
    recent_messages_limit: z.number().int().min(1).optional().describe('Return only the newest N messages.'),
    model_name: z.string().optional(),
    context_window_max: z.number().int().positive().optional(),
  },
  output: WorkingMemoryResponse.shape,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run({ session_id, namespace, user_id, ...opts }, ctx) {
    return ctx.engine.workingMemory.get(
      { session_id, namespace: namespace ?? ctx.defaults.namespace, user_id: user_id ?? ctx.defaults.user_id },
      opts,
    );
  },
});
