import { z } from 'zod';
import { Identifier } from './common.js';
import { MemoryRecord } from './memory-record.js';

/** What a long-term memory went through: its history is these events, oldest first. */
export const MEMORY_ACTIONS = ['create', 'edit', 'merge', 'delete', 'forget'] as const;
/** What happened to a session; `read` only through the agent-memory-service routes, whose stream shows reads. */
export const SESSION_ACTIONS = ['append', 'put', 'fork', 'delete', 'read'] as const;
/** An erased user (DELETE /v1/users/{id}): the one event left about them, with counts only. */
export const USER_ACTIONS = ['erase'] as const;
export const ACTIVITY_ACTIONS = [...new Set([...MEMORY_ACTIONS, ...SESSION_ACTIONS, ...USER_ACTIONS])] as const;
export type ActivityAction = (typeof ACTIVITY_ACTIONS)[number];
export const ActivityAction = z.enum(ACTIVITY_ACTIONS as unknown as [ActivityAction, ...ActivityAction[]]);

export const ActivityResource = z.enum(['memory', 'session', 'user']);
export type ActivityResource = z.infer<typeof ActivityResource>;

/** One event of the activity stream, and one entry of a memory's history. */
export const ActivityEvent = z.object({
  /** Increases with every event of the store, in commit order: the stream's cursor. */
  id: z.string(),
  at: z.string().describe('When it happened (ISO 8601).'),
  action: ActivityAction,
  resource: ActivityResource,
  target_id: z.string().describe('The memory id, session id or user id the event is about.'),
  namespace: z.string().nullable(),
  user_id: z.string().nullable(),
  session_id: z.string().nullable(),
  actor: z.string().describe('Who did it: "token:<id>", "mcp:<client name>", "cli", "server" (background work)…'),
  /** Memory events: the record before (edit, merge, delete, forget) and after (create, edit, merge). */
  before: MemoryRecord.nullable(),
  after: MemoryRecord.nullable(),
  /** Counts and ids: messages appended, memories merged into this one, the memory this one was merged into… */
  details: z.record(z.string(), z.unknown()),
});
export type ActivityEvent = z.infer<typeof ActivityEvent>;

const ActionList = z
  .union([z.string(), z.array(z.string())])
  .transform((v) =>
    (Array.isArray(v) ? v : [v])
      .flatMap((s) => s.split(','))
      .map((s) => s.trim())
      .filter(Boolean),
  )
  .pipe(z.array(ActivityAction).min(1, 'give at least one value'));

/** An instant as ISO 8601 or epoch milliseconds (query strings carry both as text). */
const Instant = z.union([z.number(), z.string()]).transform((v, ctx) => {
  const ms = typeof v === 'number' ? v : /^\d+$/.test(v) ? Number(v) : Date.parse(v);
  if (!Number.isFinite(ms)) {
    ctx.addIssue({ code: 'custom', message: 'expected an ISO 8601 time or epoch milliseconds' });
    return z.NEVER;
  }
  return ms;
});

/** GET /v1/activity (and the MCP resource, and the live stream): newest first, paged by `cursor`. */
export const ActivityQuery = z.strictObject({
  namespace: Identifier.optional(),
  user_id: Identifier.optional(),
  session_id: Identifier.optional(),
  action: ActionList.optional().describe('Only these actions (comma-separated).'),
  resource: ActivityResource.optional(),
  since: Instant.optional().describe('Only events at or after this time (ISO 8601 or epoch ms).'),
  cursor: z
    .string()
    .regex(/^\d+$/, 'expected the next_cursor of a previous page')
    .optional()
    .describe('The next_cursor of the previous page: events older than it.'),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
});
export type ActivityQueryInput = z.input<typeof ActivityQuery>;

export const ActivityPage = z.object({
  events: z.array(ActivityEvent),
  /** Pass as `cursor` for the next (older) page; null on the last page. */
  next_cursor: z.string().nullable(),
});
export type ActivityPage = z.infer<typeof ActivityPage>;

export const MemoryHistory = z.object({
  memory_id: z.string(),
  /** Oldest first. A deleted memory's history stays until its user is erased or retention expires it. */
  events: z.array(ActivityEvent),
});
export type MemoryHistory = z.infer<typeof MemoryHistory>;
