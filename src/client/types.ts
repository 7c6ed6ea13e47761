/**
 * Request and response types of the REST API, inferred from the zod models the server validates with (requests:
 * what the schema takes, `z.input`; responses: what it produces, `z.output`), so client and server cannot drift.
 * Type-only imports: none of the server's code is loaded by the client.
 */
import type { z } from 'zod';
import type * as Http from '../http/schemas.js';
import type {
  ActivityEvent,
  ActivityPage,
  ActivityQuery as ActivityQuerySchema,
  MemoryHistory,
} from '../models/activity.js';
import type { TagFilterInput } from '../models/filters.js';
import type { ForgetBody, ForgetReport, ForgetScope } from '../models/forget.js';
import type {
  MemoryRecord,
  MemoryRecordInput,
  MemoryRecordPatchBody,
  MemoryRecordResult,
  MemoryRecordResults,
  MemoryType,
} from '../models/memory-record.js';
import type { MemoryMessage, MemoryMessageInput } from '../models/message.js';
import type { PromptMessage } from '../models/prompt.js';
import type { SearchRequest } from '../models/search.js';
import type {
  CreateSummaryViewRequest,
  SummaryView,
  SummaryViewPartitionQuery,
  SummaryViewPartitionResult,
} from '../models/summary-view.js';
import type { EraseReport, MemoryStats } from '../models/users.js';
import type { WorkingMemoryInput, WorkingMemoryResponse } from '../models/working-memory.js';

export type {
  ActivityEvent,
  ActivityPage,
  EraseReport,
  ForgetReport,
  MemoryHistory,
  MemoryMessage,
  MemoryRecord,
  MemoryRecordResult,
  MemoryRecordResults,
  MemoryStats,
  MemoryType,
  PromptMessage,
  SummaryView,
  SummaryViewPartitionResult,
  WorkingMemoryResponse,
};

/** A memory to store; the client gives it a ULID when `id` is absent (the REST API requires one). */
export type NewMemory = MemoryRecordInput;
/** A message to append or store; the client gives it a ULID when `id` is absent, so a retry never duplicates it. */
export type NewMessage = z.input<typeof MemoryMessageInput>;
export type MemoryPatch = z.input<typeof MemoryRecordPatchBody>;
/** A search; `namespace`/`user_id` default to the client's (a string means equals), `null` searches all. */
export type SearchQuery = Omit<z.input<typeof SearchRequest>, 'namespace' | 'user_id'> & {
  namespace?: z.input<typeof TagFilterInput> | null;
  user_id?: z.input<typeof TagFilterInput> | null;
};
/**
 * A working memory to PUT; `session_id` comes from the path. A session as read (a WorkingMemory) can be sent
 * back with changes: its strategy is typed as the read gives it, and the server checks the name.
 */
export type WorkingMemoryBody = Omit<WorkingMemoryInput, 'session_id' | 'long_term_memory_strategy'> & {
  long_term_memory_strategy?: WorkingMemoryInput['long_term_memory_strategy'] | { strategy: string; config?: object };
};
/** The prompt request; `long_term_search` takes a SearchQuery, whose namespace and user default as in a search. */
export type MemoryPromptRequest = Omit<z.input<typeof Http.MemoryPromptRequest>, 'long_term_search'> & {
  long_term_search?: boolean | SearchQuery | null;
};
export type MemoryPromptResponse = z.output<typeof Http.MemoryPromptResponse>;
export type ForgetRequest = z.input<typeof ForgetBody>;
export type ForgetOptions = ForgetScope;
export type ActivityQuery = Omit<z.input<typeof ActivityQuerySchema>, 'cursor'>;
export type NewSummaryView = CreateSummaryViewRequest;
export type SummaryViewPartitionFilter = z.input<typeof SummaryViewPartitionQuery>;

export type HealthResponse = z.output<typeof Http.HealthResponse>;
export type StatsResponse = MemoryStats & { version: string; uptime_seconds: number };
export type SessionList = z.output<typeof Http.SessionListResponse>;
export type MemoryList = z.output<typeof Http.MemoryListResponse>;
export type CreateMemoriesResponse = z.output<typeof Http.CreateMemoryResponse>;
export type CompactionReport = z.output<typeof Http.CompactionReport>;
export type Task = z.output<typeof Http.TaskResponse>;
export type Ack = z.output<typeof Http.AckResponse>;

/** A session as read or written, with its entity tag: send `etag` as `ifMatch` to update without losing a write. */
export type WorkingMemory = WorkingMemoryResponse & { etag: string };
export type AppendResult = z.output<typeof Http.AppendMessagesResponse> & { etag: string };

/** The scope a call applies to when it names none: the client's `namespace` and `userId` options. */
export interface Scope {
  namespace?: string;
  user_id?: string;
}

/** How much of a session a read returns, and the window it is sized for. */
export interface WindowOptions {
  recent_messages_limit?: number;
  model_name?: string;
  context_window_max?: number;
}

/** Writes also cap the session: older messages are folded into the summary. */
export interface WriteWindowOptions {
  model_name?: string;
  context_window_max?: number;
  max_messages?: number;
}
