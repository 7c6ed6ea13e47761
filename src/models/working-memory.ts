import { z } from 'zod';
import { Identifier, JsonObject, laxNumber } from './common.js';
import { MemoryRecord, MemoryRecordInput } from './memory-record.js';
import { MemoryMessage, MemoryMessageInput } from './message.js';

export const LongTermMemoryStrategy = z.object({
  strategy: z.enum(['discrete', 'summary', 'preferences', 'custom']).default('discrete'),
  config: JsonObject.default({}),
});

/** A working memory as callers send it (PUT body; `session_id` comes from the path when absent). */
export const WorkingMemoryInput = z.object({
  session_id: Identifier.optional(),
  namespace: Identifier.nullish(),
  user_id: Identifier.nullish(),
  messages: z.array(MemoryMessageInput).default([]),
  memories: z.array(MemoryRecordInput).default([]),
  context: z.string().nullish().describe('Running summary of older messages.'),
  data: JsonObject.nullish().describe('Free JSON object kept with the session.'),
  tokens: laxNumber(z.number().int().min(0).optional()),
  ttl_seconds: laxNumber(z.number().int().positive().nullish()).describe(
    'Seconds until the session expires; null keeps it.',
  ),
  long_term_memory_strategy: LongTermMemoryStrategy.nullish(),
  version: laxNumber(z.number().int().min(0).optional()).describe(
    'If given, the write fails with 409 unless it matches.',
  ),
});
export type WorkingMemoryInput = z.input<typeof WorkingMemoryInput>;
export type WorkingMemoryParsed = z.output<typeof WorkingMemoryInput>;

export const WorkingMemory = z.object({
  session_id: z.string(),
  namespace: z.string().nullable(),
  user_id: z.string().nullable(),
  messages: z.array(MemoryMessage),
  memories: z.array(MemoryRecord),
  context: z.string().nullable(),
  data: JsonObject,
  tokens: z.number().int(),
  ttl_seconds: z.number().int().nullable(),
  long_term_memory_strategy: z.object({ strategy: z.string(), config: JsonObject }),
  created_at: z.string(),
  updated_at: z.string(),
  last_accessed: z.string(),
  version: z.number().int(),
});
export type WorkingMemory = z.infer<typeof WorkingMemory>;

/** What happened to messages beyond the window on this write; absent when the session fit. */
export const SummarizationReport = z.object({
  status: z
    .enum(['summarized', 'unavailable', 'failed', 'disabled'])
    .describe(
      'summarized: older messages were folded into `context`. unavailable: no LLM is configured, so older messages ' +
        'were trimmed without a summary (they stay exportable). failed: the LLM call failed; nothing was trimmed and ' +
        'the next write tries again. disabled: ENABLE_WORKING_MEMORY_SUMMARIZATION=false.',
    ),
  reason: z.string().optional(),
  summarized_messages: z.number().int().optional().describe('Messages folded into the summary by this write.'),
  trimmed_messages: z.number().int().optional().describe('Messages moved out of the window without a summary.'),
});
export type SummarizationReport = z.infer<typeof SummarizationReport>;

export const WorkingMemoryResponse = WorkingMemory.extend({
  context_percentage_total_used: z.number().nullable(),
  context_percentage_until_summarization: z.number().nullable(),
  total_messages: z.number().int().describe('Messages stored in the session (the response may hold fewer).'),
  summarization: SummarizationReport.optional(),
});
export type WorkingMemoryResponse = z.infer<typeof WorkingMemoryResponse>;

export const SessionLocator = z.object({
  session_id: Identifier,
  namespace: Identifier.nullish(),
  user_id: Identifier.nullish(),
});
export type SessionLocator = z.infer<typeof SessionLocator>;

export const SessionListRequest = z.object({
  limit: z.number().int().min(1).max(100).default(20),
  offset: z.number().int().min(0).default(0),
  namespace: Identifier.nullish(),
  user_id: Identifier.nullish(),
});
export type SessionListRequest = z.output<typeof SessionListRequest>;
