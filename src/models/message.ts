import { z } from 'zod';
import { Identifier, Timestamp, toEpochMs } from './common.js';

/** Messages dated further ahead than this are rejected, as in the reference server. */
export const MAX_FUTURE_SKEW_MS = 300_000;

/**
 * Any role name, as in the reference server (its clients send user, assistant, system, tool, function, …). Only
 * `user` messages are mined for memories; in a memory prompt, roles other than user and system speak as assistant.
 */
export const MessageRole = z
  .string()
  .trim()
  .min(1, 'role must not be empty')
  .max(64, 'role must be at most 64 characters')
  .describe('user, assistant, system, tool, function, … (any name)');

export const MemoryMessageInput = z.object({
  role: MessageRole,
  content: z.string().min(1, 'message content must not be empty'),
  id: Identifier.optional().describe('Message id; a ULID is assigned when absent. Re-sending an id never duplicates.'),
  created_at: Timestamp.optional()
    .refine((v) => v === undefined || (toEpochMs(v) ?? 0) <= Date.now() + MAX_FUTURE_SKEW_MS, {
      message: 'created_at is more than 300 seconds in the future',
    })
    .describe('When the message was said (ISO 8601 or epoch); defaults to now.'),
  persisted_at: z.union([z.string(), z.null()]).optional(),
  discrete_memory_extracted: z.enum(['t', 'f']).optional(),
});
export type MemoryMessageInput = z.infer<typeof MemoryMessageInput>;

export const MemoryMessage = z.object({
  role: MessageRole,
  content: z.string(),
  id: z.string(),
  created_at: z.string(),
  persisted_at: z.string().nullable(),
  discrete_memory_extracted: z.enum(['t', 'f']),
});
export type MemoryMessage = z.infer<typeof MemoryMessage>;
