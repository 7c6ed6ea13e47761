import { z } from 'zod';
import { invalid } from '../src/errors.js';
import { Identifier } from '../src/models/common.js';
import { WorkingMemoryInput, WorkingMemoryResponse } from '../src/models/working-memory.js';
import { NamespaceArg, UserArg } from './shared.js';
import { defineTool } from './types.js';
import { WindowArgs } from './window-args.js';

export default defineTool({
  name: 'set_working_memory',
  title: 'Replace working memory',
  description:
    'Replaces the whole working memory of a session: its messages, the running summary (context), structured ' +
    'memories waiting to be promoted, and free-form data. To add messages to a session, prefer append_messages: it ' +
    'never loses messages written by someone else at the same time. Pass `expected_version` (the `version` of your ' +
    'last read) to refuse overwriting a newer version: the call then fails, saying which version is stored. Give model_name or context_window_max to keep the session within that window, or max_messages to cap it: ' +
    'older messages are then folded into the summary in `context`.',
  input: {
    session_id: Identifier.describe('The session (conversation) id.'),
    namespace: NamespaceArg,
    user_id: UserArg,
    messages: WorkingMemoryInput.shape.messages,
    memories: WorkingMemoryInput.shape.memories,
    context: z.string().optional().describe('Running summary of earlier conversation.'),
    data: WorkingMemoryInput.shape.data,
    ttl_seconds: WorkingMemoryInput.shape.ttl_seconds,
    long_term_memory_strategy: WorkingMemoryInput.shape.long_term_memory_strategy,
    expected_version: z
      .number()
      .int()
      .min(0)
      .optional()
      .describe('The version your last read returned; the write fails unless the session is still at it (0: new).'),
    version: WorkingMemoryInput.shape.version.describe('Same as expected_version (the REST body field).'),
    ...WindowArgs,
  },
  output: WorkingMemoryResponse.shape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run({ session_id, model_name, context_window_max, max_messages, expected_version, ...body }, ctx) {
    if (expected_version !== undefined && body.version !== undefined && expected_version !== body.version) {
      throw invalid(`expected_version (${expected_version}) and version (${body.version}) differ; give one.`);
    }
    return ctx.engine.workingMemory.put(
      session_id,
      {
        ...body,
        version: expected_version ?? body.version,
        namespace: body.namespace ?? ctx.defaults.namespace,
        user_id: body.user_id ?? ctx.defaults.user_id,
      },
      { model_name, context_window_max, max_messages },
    );
  },
});
