import { z } from 'zod';
import { defineTool } from './types.js';

export default defineTool({
  name: 'get_current_datetime',
  title: 'Current date and time',
  description:
    'Returns the current date and time in UTC. Call it before you store a memory that mentions a relative time ' +
    '("yesterday", "next Friday") so you can write the absolute date into the memory instead.',
  input: {},
  output: { iso_utc: z.string(), unix_ts: z.number() },
  annotations: { readOnlyHint: true, idempotentHint: false, openWorldHint: false },
  async run() {
    const now = Date.now();
    return { iso_utc: new Date(now).toISOString(), unix_ts: Math.floor(now / 1000) };
  },
});
