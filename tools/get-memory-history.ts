import { MemoryHistory } from '../src/models/activity.js';
import { Identifier } from '../src/models/common.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'get_memory_history',
  title: "Read a memory's history",
  description:
    'Shows how one long-term memory changed: created, edited, merged with near-duplicates, deleted or forgotten, ' +
    'oldest first, each with the text and fields before and after and who made the change. Works for deleted ' +
    'memories too, to see what they said.',
  input: { memory_id: Identifier },
  output: MemoryHistory.shape,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run({ memory_id }, ctx) {
    return ctx.engine.activity.history(memory_id);
  },
});
