import { Identifier } from '../src/models/common.js';
import { MemoryRecord, MemoryRecordPatch } from '../src/models/memory-record.js';
import { defineTool } from './types.js';

export default defineTool({
  name: 'edit_long_term_memory',
  title: 'Edit a long-term memory',
  description:
    'Corrects or updates one long-term memory: give its id and only the fields to change. Use it when the user ' +
    'corrects a fact ("I moved to Berlin") instead of storing a contradicting memory. A new text is re-indexed.',
  input: { memory_id: Identifier, ...MemoryRecordPatch.shape },
  output: MemoryRecord.shape,
  annotations: { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false },
  async run({ memory_id, ...patch }, ctx) {
    return ctx.engine.longTerm.edit(memory_id, patch);
  },
});
