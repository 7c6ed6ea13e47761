import { z } from 'zod';
import { attributeChanges } from '../src/core/agent-memory.js';
import { ATTRIBUTE_PATH, AttributeChanges, StepNumber } from '../src/models/agent.js';
import { Identifier } from '../src/models/common.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'agent_state_changes',
  title: 'How an attribute of an agent changed',
  description:
    "Compares an agent's successive states over a step range and lists each change of one attribute, e.g. " +
    'attribute "content.health", start_step 100, end_step 500: the step and state where each new value appeared.',
  input: {
    agent_id: Identifier,
    attribute: z.string().regex(ATTRIBUTE_PATH, 'attribute looks like content.health or metadata.team.name'),
    start_step: StepNumber.optional(),
    end_step: StepNumber.optional(),
    namespace: Identifier.optional(),
  },
  output: AttributeChanges.shape,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run({ agent_id, attribute, ...range }, ctx) {
    return attributeChanges(ctx.engine.longTerm, agent_id, attribute, {
      ...range,
      namespace: range.namespace ?? ctx.defaults.namespace,
    });
  },
});
