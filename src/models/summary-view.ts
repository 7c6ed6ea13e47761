import { z } from 'zod';
import { Identifier } from './common.js';
import { MemoryFilterShape } from './filters.js';

/** The memory fields a summary view can partition by (as the reference server). */
export const SUMMARY_VIEW_GROUP_FIELDS = ['user_id', 'namespace', 'session_id', 'memory_type'] as const;
export type SummaryViewGroupField = (typeof SUMMARY_VIEW_GROUP_FIELDS)[number];
export const SummaryViewGroupField = z.enum(SUMMARY_VIEW_GROUP_FIELDS);

/** Longest custom summarization prompt: instructions, not a document. */
export const MAX_VIEW_PROMPT_CHARS = 4000;

/** The view's static filters: the long-term search filters, with the same shapes; unknown keys are refused. */
export const SummaryViewFilters = z.object(MemoryFilterShape).strict();
export type SummaryViewFilters = z.infer<typeof SummaryViewFilters>;

export const CreateSummaryViewRequest = z
  .object({
    name: z.string().trim().min(1, 'must not be empty').max(256).nullish(),
    source: z.enum(['long_term', 'working_memory']).meta({
      description: 'What to summarize. Only `long_term` is supported; `working_memory` is refused with a 400.',
    }),
    group_by: z
      .array(SummaryViewGroupField)
      .max(SUMMARY_VIEW_GROUP_FIELDS.length)
      .refine((fields) => new Set(fields).size === fields.length, { message: 'each field may appear once' })
      .default([])
      .meta({ description: 'Partition by these fields; one summary per combination of values. [] = one partition.' }),
    filters: SummaryViewFilters.nullish().meta({
      description: 'Filters every run applies, with the shapes of the search filters (e.g. {"namespace": "chat"}).',
    }),
    time_window_days: z.number().int().min(1).max(36_500).nullish().meta({
      description: 'Only memories created within the last N days (counted at each run).',
    }),
    continuous: z.boolean().default(false).meta({
      description:
        'true: the server recomputes every partition now and every SUMMARY_VIEW_REFRESH_EVERY_MINUTES (60) after; needs an LLM (503 otherwise).',
    }),
    prompt: z.string().trim().min(1, 'must not be empty').max(MAX_VIEW_PROMPT_CHARS).nullish().meta({
      description: 'Extra summarization instructions, added to the server prompt (prompts/summary-view.txt).',
    }),
    model_name: z.string().trim().min(1, 'must not be empty').max(256).nullish().meta({
      description: 'The model to summarize with: FAST_MODEL (the default) or GENERATION_MODEL.',
    }),
  })
  .strict();
export type CreateSummaryViewRequest = z.input<typeof CreateSummaryViewRequest>;

export const SummaryView = z.object({
  id: z.string(),
  name: z.string().nullable(),
  source: z.literal('long_term'),
  group_by: z.array(SummaryViewGroupField),
  filters: z.record(z.string(), z.unknown()),
  time_window_days: z.number().int().nullable(),
  continuous: z.boolean(),
  prompt: z.string().nullable(),
  model_name: z.string().nullable(),
  created_at: z.string().meta({ description: 'ISO 8601 (ours).' }),
});
export type SummaryView = z.infer<typeof SummaryView>;

const GroupValue = z.string().min(1, 'must not be empty').max(256);

export const RunSummaryViewPartitionRequest = z
  .object({
    group: z.record(z.string(), GroupValue).meta({
      description: 'One value for each of the view\'s group_by fields, e.g. {"user_id": "alice"}.',
    }),
  })
  .strict();

export const RunSummaryViewRequest = z
  .object({
    task_id: Identifier.nullish().meta({ description: 'The id the task gets; generated when absent. 409 if taken.' }),
    force: z.boolean().optional().meta({
      description: 'Accepted for the reference clients: every run recomputes every partition, so it is always forced.',
    }),
  })
  .strict();

export const SummaryViewPartitionResult = z.object({
  view_id: z.string(),
  group: z.record(z.string(), z.string()),
  summary: z.string(),
  memory_count: z.number().int(),
  empty: z.boolean(),
  empty_reason: z.string().nullable().meta({ description: '`no_matching_memories` when the partition is empty.' }),
  computed_at: z.string().meta({ description: 'ISO 8601.' }),
});
export type SummaryViewPartitionResult = z.infer<typeof SummaryViewPartitionResult>;

/** GET …/partitions: filters on the stored partitions' group values. */
export const SummaryViewPartitionQuery = z
  .object({
    user_id: GroupValue.optional(),
    namespace: GroupValue.optional(),
    session_id: GroupValue.optional(),
    memory_type: GroupValue.optional(),
  })
  .strict();
