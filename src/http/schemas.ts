import { z } from '@hono/zod-openapi';
import { Identifier, JsonObject, laxBoolean, laxNumber, strictBody } from '../models/common.js';
import { ForgetBody as ForgetBodyModel, ForgetReport as ForgetReportModel } from '../models/forget.js';
import {
  MemoryRecordInput as MemoryRecordInputModel,
  MemoryRecord as MemoryRecordModel,
  MemoryRecordPatchBody as MemoryRecordPatchBodyModel,
  MemoryRecordPatch as MemoryRecordPatchModel,
  MemoryRecordResult as MemoryRecordResultModel,
  MemoryRecordResults as MemoryRecordResultsModel,
} from '../models/memory-record.js';
import { MemoryMessageInput as MemoryMessageInputModel } from '../models/message.js';
import {
  MemoryPromptRequest as MemoryPromptRequestModel,
  PromptMessage as PromptMessageModel,
} from '../models/prompt.js';
import { SearchRequest as SearchRequestModel } from '../models/search.js';
import {
  CreateSummaryViewRequest as CreateSummaryViewRequestModel,
  RunSummaryViewPartitionRequest as RunSummaryViewPartitionRequestModel,
  RunSummaryViewRequest as RunSummaryViewRequestModel,
  SummaryView as SummaryViewModel,
  SummaryViewPartitionResult as SummaryViewPartitionResultModel,
} from '../models/summary-view.js';
import {
  WorkingMemoryInput as WorkingMemoryInputModel,
  WorkingMemoryResponse as WorkingMemoryResponseModel,
} from '../models/working-memory.js';

/**
 * The models of src/models, named for the OpenAPI document. `.meta({id})` only attaches a name: validation is the
 * models' own, so REST, MCP and the core accept and reject exactly the same input. (`.meta` rather than
 * `.openapi`: the models are built before @hono/zod-openapi extends zod, so they lack that method.)
 */
export const MemoryRecord = MemoryRecordModel.meta({ id: 'MemoryRecord' });
export const MemoryRecordInput = MemoryRecordInputModel.meta({ id: 'MemoryRecordInput' });
export const MemoryRecordPatch = MemoryRecordPatchModel.meta({ id: 'EditMemoryRecordRequest' });
export const MemoryRecordPatchBody = MemoryRecordPatchBodyModel.meta({ id: 'EditMemoryRecordBody' });
export const MemoryRecordResult = MemoryRecordResultModel.meta({ id: 'MemoryRecordResult' });
export const MemoryRecordResults = MemoryRecordResultsModel.meta({ id: 'MemoryRecordResultsResponse' });
export const WorkingMemoryInput = WorkingMemoryInputModel.meta({ id: 'UpdateWorkingMemory' });
export const WorkingMemoryResponse = WorkingMemoryResponseModel.meta({ id: 'WorkingMemoryResponse' });
export const SearchRequest = SearchRequestModel.meta({ id: 'SearchRequest' });
export const PromptMessage = PromptMessageModel.meta({ id: 'PromptMessage' });
export const CreateSummaryViewRequest = CreateSummaryViewRequestModel.meta({ id: 'CreateSummaryViewRequest' });
export const SummaryView = SummaryViewModel.meta({ id: 'SummaryView' });
export const RunSummaryViewPartitionRequest = RunSummaryViewPartitionRequestModel.meta({
  id: 'RunSummaryViewPartitionRequest',
});
export const RunSummaryViewRequest = RunSummaryViewRequestModel.meta({ id: 'RunSummaryViewRequest' });
export const SummaryViewPartitionResult = SummaryViewPartitionResultModel.meta({ id: 'SummaryViewPartitionResult' });

export const ErrorBody = z
  .object({ detail: z.string().meta({ example: 'memories[0].text: text must not be empty' }) })
  .meta({ id: 'HTTPError' });

export const AckResponse = z.object({ status: z.string().meta({ example: 'ok' }) }).meta({ id: 'AckResponse' });

export const CreateMemoryRecordRequest = strictBody({
  memories: z.array(MemoryRecordInput).min(1, 'give at least one memory').max(1000),
  deduplicate: laxBoolean(z.boolean().default(true)),
}).meta({ id: 'CreateMemoryRecordRequest' });

export const CreateMemoryResponse = AckResponse.extend({
  created: z.number().int(),
  updated: z.number().int(),
  duplicates: z.number().int(),
  memories: z.array(z.object({ id: z.string(), outcome: z.enum(['created', 'updated', 'duplicate']) })),
}).meta({ id: 'CreateMemoryResponse' });

export const AppendMessagesRequest = strictBody({
  messages: z.array(MemoryMessageInputModel).min(1, 'give at least one message').max(1000),
  namespace: Identifier.nullish(),
  user_id: Identifier.nullish(),
  ttl_seconds: laxNumber(z.number().int().positive().nullish()).describe(
    'Refresh the session expiry to this many seconds.',
  ),
}).meta({ id: 'AppendMessagesRequest' });

export const AppendMessagesResponse = WorkingMemoryResponseModel.extend({
  appended: z.number().int().describe('Messages that were new (a re-sent message id is not appended twice).'),
}).meta({ id: 'AppendMessagesResponse' });

/** The reference server also accepts `long_term_search: true` (search with defaults). */
export const MemoryPromptRequest = MemoryPromptRequestModel.extend({
  long_term_search: z.union([z.boolean(), SearchRequestModel.partial()]).nullish(),
}).meta({ id: 'MemoryPromptRequest' });

export const MemoryPromptResponse = z
  .object({
    messages: z.array(PromptMessage),
    long_term_memories: z.array(MemoryRecordResult).nullable(),
  })
  .meta({ id: 'MemoryPromptResponse' });

export const SessionListResponse = z
  .object({ sessions: z.array(z.string()), total: z.number().int() })
  .meta({ id: 'SessionListResponse' });

export const MemoryListResponse = z
  .object({ memories: z.array(MemoryRecord), total: z.number().int(), next_offset: z.number().int().nullable() })
  .meta({ id: 'MemoryListResponse' });

export const HealthResponse = z
  .object({ now: z.number().describe('Server time, epoch milliseconds') })
  .meta({ id: 'HealthCheckResponse' });

export const CompactionReport = z
  .object({
    status: z
      .string()
      .describe("The reference server's answer, kept for its clients.")
      .meta({ example: 'ok, 42 memories remaining after compaction' }),
    scanned: z.number().int().describe('Memories looked at.'),
    duplicates_removed: z
      .number()
      .int()
      .describe('Exact duplicates (same memory_hash, or the same text) deleted; the oldest copy is kept.'),
    merged_groups: z.number().int().describe('Groups of near-duplicates merged into one memory each.'),
    merged_memories_removed: z.number().int().describe('Memories deleted because they were merged into another.'),
    semantic: z
      .enum(['done', 'skipped'])
      .describe('`skipped` when no LLM is configured: only exact duplicates were removed (see `reason`).'),
    reason: z.string().optional().meta({ example: 'no LLM is configured: near-duplicates were not merged' }),
  })
  .meta({ id: 'CompactionReport' });

export const TaskResponse = z
  .object({
    id: z.string(),
    type: z.string().meta({
      description:
        'extract_memories, promote_memories, enrich_memories, compact_memories, forget_memories or summary_view_full_run.',
      example: 'extract_memories',
    }),
    status: z.enum(['pending', 'running', 'success', 'failed']),
    created_at: z.string().describe('ISO 8601.'),
    started_at: z.string().nullable(),
    completed_at: z.string().nullable(),
    error_message: z.string().nullable().describe('The last error, when an attempt failed.'),
    attempts: z.number().int(),
    max_attempts: z.number().int(),
    run_at: z.string().describe('When a pending task runs (next).'),
    namespace: z.string().nullable().describe('The namespace the task works on; null for store-wide tasks.'),
    user_id: z.string().nullable(),
    view_id: z.string().nullable().describe('The summary view of a summary_view_full_run; null for other kinds.'),
    result: z.unknown().describe('What the task reported when it finished (kind-specific); null before.'),
  })
  .meta({ id: 'Task' });

export { JsonObject };

export const ForgetBody = ForgetBodyModel.meta({ id: 'ForgetRequest' });
export const ForgetReport = ForgetReportModel.meta({ id: 'ForgetReport' });

// Query-string pieces: every value arrives as text, so numbers and booleans are coerced here.
export const queryInt = (min: number, max?: number) => {
  const n = z.coerce.number({ message: 'expected a whole number' }).int('expected a whole number').min(min);
  return max === undefined ? n : n.max(max);
};
export const queryBool = z
  .enum(['true', 'false', '1', '0'], { message: 'expected true or false' })
  .transform((v) => v === 'true' || v === '1');
/** A repeatable query parameter (`?memory_ids=a&memory_ids=b`); one occurrence arrives as a plain string. */
export const queryList = <T extends z.ZodType>(item: T, name: string) =>
  z.preprocess(
    (v) => (v === undefined || Array.isArray(v) ? v : [v]),
    z
      .array(item, { error: `give one or more values: ?${name}=a&${name}=b` })
      .min(1, `give one or more values: ?${name}=a&${name}=b`),
  );

export const NamespaceQuery = Identifier.optional().meta({ description: 'Namespace of the session or memories.' });
export const UserQuery = Identifier.optional().meta({ description: 'User the session or memories belong to.' });
export const WindowQuery = {
  model_name: z
    .string()
    .min(1)
    .max(200)
    .optional()
    .meta({ description: "The client's model; its context window bounds the percentages." }),
  context_window_max: queryInt(1)
    .optional()
    .meta({ description: 'Explicit context window in tokens (overrides model_name).' }),
};
/** Writes also take a message cap. */
export const WriteWindowQuery = {
  ...WindowQuery,
  max_messages: queryInt(1).optional().meta({
    description:
      'Keep at most this many messages: older ones are folded into the summary (trimmed without an LLM); the response says which.',
  }),
};
