import { z } from 'zod';
import { Identifier, laxBoolean } from './common.js';
import { MemoryType } from './memory-record.js';

/**
 * Which memories forgetting removes, as the reference server reads its `policy`. Unknown keys are refused: a
 * misspelt criterion in a call that deletes must not pass for a policy that keeps everything.
 */
export const ForgetPolicy = z
  .strictObject({
    max_age_days: z.number().positive().nullish().describe('Forget memories created more than this many days ago.'),
    max_inactive_days: z
      .number()
      .positive()
      .nullish()
      .describe('Forget memories not accessed (searched, read) for more than this many days.'),
    budget: z
      .number()
      .int()
      .min(0)
      .nullish()
      .describe('Keep at most this many of the remaining memories: the most recently used and newest.'),
    memory_type_allowlist: z.array(MemoryType).nullish().describe('Only memories of these types can be forgotten.'),
    hard_age_multiplier: z
      .number()
      .min(1)
      .nullish()
      .describe(
        'With both max_age_days and max_inactive_days: a memory older than max_age_days x this (default 12) goes ' +
          'even if recently accessed.',
      ),
  })
  .refine((p) => p.max_age_days != null || p.max_inactive_days != null || p.budget != null, {
    message: 'give at least one of max_age_days, max_inactive_days or budget',
  });
export type ForgetPolicy = z.infer<typeof ForgetPolicy>;

/** The body of POST /v1/long-term-memory/forget (the reference server's two body fields). */
export const ForgetBody = z.strictObject({
  policy: ForgetPolicy,
  pinned_ids: z.array(Identifier).nullish().describe('Memories kept whatever the policy says (as if pinned).'),
});
export type ForgetBody = z.infer<typeof ForgetBody>;

/** Where forgetting looks, and whether it deletes. */
export const ForgetScope = z.object({
  namespace: Identifier.nullish(),
  user_id: Identifier.nullish(),
  session_id: Identifier.nullish(),
  limit: z
    .number()
    .int()
    .min(1)
    .nullish()
    .describe('Look at no more than this many memories, oldest first (default: every memory in scope).'),
  dry_run: laxBoolean(z.boolean().default(true)).describe('Only report what would be forgotten (the default).'),
});
export type ForgetScope = z.input<typeof ForgetScope>;

export const ForgetReport = z.object({
  scanned: z
    .number()
    .int()
    .describe('Memories looked at: without a budget or limit, only those past the age or idleness threshold.'),
  deleted: z.number().int().describe('Memories deleted, or that would be in a dry run.'),
  deleted_ids: z.array(z.string()).describe('Their ids, oldest first.'),
  dry_run: z.boolean(),
});
export type ForgetReport = z.infer<typeof ForgetReport>;
