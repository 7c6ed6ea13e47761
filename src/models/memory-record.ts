import { z } from 'zod';
import { COMPRESSED_KEY, Location, MemoryTier, StepNumber } from './agent.js';
import { Identifier, JsonObject, laxBoolean, laxNumber, TagValue, Timestamp } from './common.js';

/** episodic, semantic, message as in the reference server; state, action, interaction for agents (issue 15). */
export const MemoryType = z.enum(['episodic', 'semantic', 'message', 'state', 'action', 'interaction']);
export type MemoryType = z.infer<typeof MemoryType>;

/**
 * A long-term memory as callers send it. Unknown fields are ignored (clients of the reference server send
 * result fields such as `dist` back), but every known field is checked.
 */
export const MemoryRecordInput = z.object({
  id: Identifier.optional().describe('Stable id; re-sending an id overwrites that memory. A ULID when absent.'),
  text: z.string().refine((s) => s.trim().length > 0, { message: 'text must not be empty' }),
  session_id: Identifier.nullish(),
  user_id: Identifier.nullish(),
  namespace: Identifier.nullish(),
  memory_type: MemoryType.default('semantic'),
  topics: z.array(TagValue).nullish(),
  entities: z.array(TagValue).nullish(),
  event_date: Timestamp.nullish().describe('When the remembered event happened (absolute date).'),
  pinned: laxBoolean(z.boolean().default(false)),
  importance: laxNumber(z.number().min(0).max(1).nullish()).describe('0–1; defaults to 0.5.'),
  metadata: JsonObject.nullish(),
  discrete_memory_extracted: z.enum(['t', 'f']).nullish(),
  extraction_strategy: z.string().max(64).nullish(),
  extraction_strategy_config: JsonObject.nullish(),
  extracted_from: z.array(z.string()).nullish(),
  created_at: Timestamp.nullish(),
  updated_at: Timestamp.nullish(),
  last_accessed: Timestamp.nullish(),
  persisted_at: Timestamp.nullish(),
  ...{
    agent_id: Identifier.nullish().describe('The agent this memory is about (agent memories).'),
    step_number: StepNumber.nullish().describe('The simulation step it happened at.'),
    location: Location.nullish().describe('Where it happened: {x, y} or {lat, lon}.'),
    content: JsonObject.refine((c) => !(COMPRESSED_KEY in c), {
      message: `content: the key ${COMPRESSED_KEY} is reserved for the compressed form of IM and LTM memories`,
    })
      .nullish()
      .describe('The state, action or interaction as JSON; `text` is what is searched.'),
  },
});
export type MemoryRecordInput = z.input<typeof MemoryRecordInput>;
export type MemoryRecordParsed = z.output<typeof MemoryRecordInput>;

/** A long-term memory as the server returns it. */
export const MemoryRecord = z.object({
  id: z.string(),
  text: z.string(),
  session_id: z.string().nullable(),
  user_id: z.string().nullable(),
  namespace: z.string().nullable(),
  memory_type: MemoryType,
  topics: z.array(z.string()),
  entities: z.array(z.string()),
  event_date: z.string().nullable(),
  created_at: z.string(),
  updated_at: z.string(),
  last_accessed: z.string(),
  access_count: z.number().int(),
  pinned: z.boolean(),
  importance: z.number(),
  memory_hash: z.string(),
  discrete_memory_extracted: z.enum(['t', 'f']),
  extraction_strategy: z.string(),
  extraction_strategy_config: JsonObject,
  extracted_from: z.array(z.string()),
  persisted_at: z.string().nullable(),
  metadata: JsonObject,
  // Agent memories only: absent on the others, so their records look as in the reference server.
  agent_id: z.string().optional(),
  step_number: z.number().int().optional(),
  location: Location.optional(),
  content: JsonObject.optional(),
  /** Agent memories: the tier (STM, IM, LTM) and the step its limits count from (its step, or its promotion's). */
  memory_tier: MemoryTier.optional(),
  tier_step: z.number().int().optional(),
});
export type MemoryRecord = z.infer<typeof MemoryRecord>;

export const MemoryRecordResult = MemoryRecord.extend({
  dist: z.number().describe('0 = best match'),
  score: z.number().describe('0–1, higher is better'),
  score_type: z.enum(['semantic', 'keyword', 'hybrid', 'filter']),
});
export type MemoryRecordResult = z.infer<typeof MemoryRecordResult>;

export const MemoryRecordResults = z.object({
  memories: z.array(MemoryRecordResult),
  total: z.number().int(),
  next_offset: z.number().int().nullable(),
});
export type MemoryRecordResults = z.infer<typeof MemoryRecordResults>;

/** Fields a PATCH may change. */
export const MemoryRecordPatch = z
  .object({
    text: MemoryRecordInput.shape.text,
    topics: z.array(TagValue).nullable(),
    entities: z.array(TagValue).nullable(),
    memory_type: MemoryType,
    namespace: Identifier.nullable(),
    user_id: Identifier.nullable(),
    session_id: Identifier.nullable(),
    event_date: Timestamp.nullable(),
    pinned: laxBoolean(z.boolean()),
    importance: laxNumber(z.number().min(0).max(1)),
    metadata: JsonObject,
  })
  .partial()
  .strict();
export type MemoryRecordPatch = z.infer<typeof MemoryRecordPatch>;

/**
 * A PATCH body as the reference's clients send it after a GET: the whole record (or search result) with some
 * fields changed. Fields a PATCH cannot change are accepted only as an unchanged copy (see core/record-copy.ts).
 */
export const MemoryRecordPatchBody = MemoryRecordPatch.extend({
  id: z.string(),
  created_at: z.union([z.string(), z.number()]),
  extraction_strategy: z.string(),
  extraction_strategy_config: JsonObject,
  extracted_from: z.array(z.string()),
  discrete_memory_extracted: z.enum(['t', 'f']),
  updated_at: z.union([z.string(), z.number()]).nullable(),
  last_accessed: z.union([z.string(), z.number()]).nullable(),
  access_count: z.number(),
  memory_hash: z.string(),
  persisted_at: z.union([z.string(), z.number()]).nullable(),
  dist: z.number(),
  score: z.number(),
  score_type: z.string(),
})
  .partial()
  .strict();
export type MemoryRecordPatchBody = z.infer<typeof MemoryRecordPatchBody>;
