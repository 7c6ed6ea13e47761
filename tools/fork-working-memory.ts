import { Identifier } from '../src/models/common.js';
import { WorkingMemoryResponse } from '../src/models/working-memory.js';
import { NamespaceArg, UserArg } from './shared.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'fork_working_memory',
  title: 'Branch a session',
  description:
    'Starts a new session as a copy of an existing one: its messages (up to and including at_message_id, to branch ' +
    'from an earlier point), running summary and data, in the same namespace and user. Use it to explore an ' +
    'alternative without changing the original conversation. Returns the new session; its id is new_session_id, ' +
    'or a generated one.',
  input: {
    session_id: Identifier.describe('The session to copy.'),
    namespace: NamespaceArg,
    user_id: UserArg,
    new_session_id: Identifier.optional().describe('Id for the copy; fails if it exists. Default: a new id.'),
    at_message_id: Identifier.optional().describe('Copy the messages up to and including this one.'),
  },
  output: WorkingMemoryResponse.shape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false },
  async run({ session_id, namespace, user_id, ...opts }, ctx) {
    return ctx.engine.workingMemory.fork(
      { session_id, namespace: namespace ?? ctx.defaults.namespace, user_id: user_id ?? ctx.defaults.user_id },
      opts,
    );
  },
});
