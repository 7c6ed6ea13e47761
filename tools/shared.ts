import { z } from 'zod';
import { Identifier } from '../src/models/common.js';
import type { TagFilter } from '../src/models/filters.js';
import { MemoryFilterShape } from '../src/models/filters.js';
import { MemoryRecordInput } from '../src/models/memory-record.js';
import type { ToolContext } from './types.js';

/** The part of a memory an agent writes; the server fills in the rest (updated_at, persisted_at, memory_hash). */
export const ToolMemoryInput = MemoryRecordInput.pick({
  id: true,
  text: true,
  memory_type: true,
  topics: true,
  entities: true,
  event_date: true,
  namespace: true,
  user_id: true,
  session_id: true,
  pinned: true,
  importance: true,
  metadata: true,
  // The reference server's records carry these too (its MCP tool takes whole records); all are honoured.
  discrete_memory_extracted: true,
  extraction_strategy: true,
  extraction_strategy_config: true,
  extracted_from: true,
  created_at: true,
  last_accessed: true,
}).strict();

export const NamespaceArg = Identifier.optional().describe('Namespace; defaults to the server default namespace.');
export const UserArg = Identifier.optional().describe("The user's id; defaults to the server default user.");

/** Filter arguments of search tools: a plain string means equals, a list means any of. */
export const FilterArgs = {
  ...MemoryFilterShape,
  namespace: MemoryFilterShape.namespace.describe('Namespace filter; defaults to the server default namespace.'),
  user_id: MemoryFilterShape.user_id.describe('User filter; defaults to the server default user.'),
  topics: MemoryFilterShape.topics.describe('Topic filter, e.g. {"any": ["travel", "food"]} or "travel".'),
  entities: MemoryFilterShape.entities.describe('Entity filter, e.g. {"all": ["Alice", "Paris"]}.'),
  created_at: MemoryFilterShape.created_at.describe('e.g. {"gte": "2026-01-01T00:00:00Z"}'),
  event_date: MemoryFilterShape.event_date.describe('e.g. {"between": ["2026-05-01", "2026-05-31"]}'),
};

/** Applies the server defaults to namespace/user filters a call left out; never removes a filter. */
export function withDefaultScope<T extends { namespace?: TagFilter; user_id?: TagFilter }>(
  args: T,
  ctx: ToolContext,
): T {
  return {
    ...args,
    namespace: args.namespace ?? (ctx.defaults.namespace ? { eq: ctx.defaults.namespace } : undefined),
    user_id: args.user_id ?? (ctx.defaults.user_id ? { eq: ctx.defaults.user_id } : undefined),
  };
}

export const StatusOutput = { status: z.string() };
