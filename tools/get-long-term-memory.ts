import { Identifier } from '../src/models/common.js';
import { MemoryRecord } from '../src/models/memory-record.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'get_long_term_memory',
  title: 'Read one long-term memory',
  description: 'Reads one long-term memory by id (ids come from search_memory or memory_prompt results).',
  input: { memory_id: Identifier },
  output: MemoryRecord.shape,
  annotations: { readOnlyHint: true, openWorldHint: false },
  async run({ memory_id }, ctx) {
    return ctx.engine.longTerm.get(memory_id);
  },
});
