import { TierMaintenanceReport, TierMaintenanceRequest } from '../src/models/agent.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'maintain_agent_memory',
  title: 'Move agent memories between tiers now',
  description:
    'Runs a tier maintenance pass now (it also runs on a schedule): memories beyond the STM limits move to IM, ' +
    'beyond the IM limits to LTM (compressed, short text). Nothing is deleted. Give agent_id for one agent.',
  input: TierMaintenanceRequest.shape,
  output: TierMaintenanceReport.shape,
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: true, openWorldHint: false },
  async run(args, ctx) {
    return ctx.engine.agentTiers.maintain({ ...args, namespace: args.namespace ?? ctx.defaults.namespace });
  },
});
