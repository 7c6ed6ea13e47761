import { Identifier } from '../src/models/common.js';
import { ForgetBody, ForgetReport, ForgetScope } from '../src/models/forget.js';
import { NamespaceArg, UserArg } from './shared.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'forget_long_term_memories',
  title: 'Forget long-term memories',
  description:
    'Forgets long-term memories by a policy: older than max_age_days, not used for max_inactive_days, or beyond a ' +
    'budget (keep the N most recently used and newest). Pinned memories and pinned_ids are always kept. By default ' +
    'this is a dry run that only lists what would go: show the list to the user and call again with ' +
    'dry_run: false to delete.',
  input: {
    policy: ForgetBody.shape.policy,
    pinned_ids: ForgetBody.shape.pinned_ids,
    namespace: NamespaceArg,
    user_id: UserArg,
    session_id: Identifier.optional().describe('Only memories from this session.'),
    limit: ForgetScope.shape.limit,
    dry_run: ForgetScope.shape.dry_run,
  },
  output: ForgetReport.shape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: false, openWorldHint: false },
  async run({ policy, pinned_ids, ...scope }, ctx) {
    await ctx.progress(0, 1, scope.dry_run === false ? 'forgetting' : 'selecting');
    const report = await ctx.engine.forget(
      { policy, pinned_ids },
      {
        ...scope,
        namespace: scope.namespace ?? ctx.defaults.namespace ?? null,
        user_id: scope.user_id ?? ctx.defaults.user_id ?? null,
      },
    );
    await ctx.progress(1, 1, 'done');
    return report;
  },
});
