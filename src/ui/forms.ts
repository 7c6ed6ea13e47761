import { z } from 'zod';
import { Identifier } from '../models/common.js';
import { MULTI_VALUED_TAGS, TAG_FIELDS, TIME_FIELDS } from '../models/filters.js';
import type { ForgetBody, ForgetScope } from '../models/forget.js';
import type { MemoryRecord, MemoryRecordPatch } from '../models/memory-record.js';
import { SearchMode, type SearchRequestInput } from '../models/search.js';

/**
 * What the dashboard's forms and links send, as zod schemas, and how each becomes the engine call the REST API
 * makes. These only reshape form fields (text boxes, checkboxes) into the models' shapes: the engine validates the
 * result with the same models as every other transport, so the rules are not written twice.
 */

/** One text field: trimmed, empty means "not given". A repeated key (an array) is refused. */
export const optionalText = z
  .string({ error: 'expected one value' })
  .trim()
  .max(4096, 'at most 4096 characters')
  .optional()
  .transform((v) => v || undefined);

/** A number typed in a text box; empty means "not given". */
export const optionalNumber = z
  .string({ error: 'expected one value' })
  .trim()
  .optional()
  .transform((v, ctx) => {
    if (!v) return undefined;
    const n = Number(v);
    if (!Number.isFinite(n)) {
      ctx.addIssue({ code: 'custom', message: `expected a number, got "${v.slice(0, 40)}"` });
      return z.NEVER;
    }
    return n;
  });

/** Checkboxes and multi-selects: absent, one value or several. */
const valueList = z
  .union([z.string(), z.array(z.string())], { error: 'expected text values' })
  .optional()
  .transform((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]).map((s) => s.trim()).filter(Boolean));

const commaList = (s: string | undefined) =>
  (s ?? '')
    .split(/[,\n]/)
    .map((v) => v.trim())
    .filter(Boolean);

const pageNumber = z.coerce
  .number({ error: 'expected a page number' })
  .int('expected a page number')
  .min(1)
  .max(100_000)
  .default(1);

/** Where to go back after a form: only a dashboard path, never another site (no open redirect). */
export const ReturnTo = z
  .string()
  .trim()
  .max(4096)
  .refine((s) => /^\/ui(?:[/?]|$)/.test(s) && !s.includes('//') && !s.includes('\\'), {
    message: 'must be a dashboard path (/ui...)',
  });

export const PER_PAGE = ['10', '25', '50', '100'] as const;
export const TAG_OPS = ['eq', 'ne', 'any', 'all', 'startswith'] as const;
export type TagOp = (typeof TAG_OPS)[number];

// Object.fromEntries forgets the keys; the casts give them back, so `q.namespace_op` is typed.
const tagFields = Object.fromEntries(
  TAG_FIELDS.flatMap((f) => [
    [f, optionalText],
    [`${f}_op`, z.enum(TAG_OPS).default(MULTI_VALUED_TAGS.has(f) ? 'any' : 'eq')],
  ]),
) as Record<(typeof TAG_FIELDS)[number], typeof optionalText> &
  Record<`${(typeof TAG_FIELDS)[number]}_op`, z.ZodDefault<z.ZodEnum<{ [K in TagOp]: K }>>>;
const timeFields = Object.fromEntries(
  TIME_FIELDS.flatMap((f) => [
    [`${f}_from`, optionalText],
    [`${f}_to`, optionalText],
  ]),
) as Record<`${(typeof TIME_FIELDS)[number]}_${'from' | 'to'}`, typeof optionalText>;

/** The memory list and search page: every search mode and filter of POST /v1/long-term-memory/search. */
export const MemoryQuery = z.object({
  q: optionalText,
  mode: SearchMode.default('hybrid'),
  alpha: optionalNumber,
  max_distance: optionalNumber,
  recency: z.enum(['on', 'off']).default('on'),
  ...tagFields,
  ...timeFields,
  importance_min: optionalNumber,
  importance_max: optionalNumber,
  pinned: z.enum(['', 'true', 'false']).default(''),
  page: pageNumber,
  per_page: z.enum(PER_PAGE).default('25'),
});
export type MemoryQuery = z.output<typeof MemoryQuery>;

const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** The search request the form describes. A date alone is a whole UTC day: "to 2026-05-01" includes that day. */
export function searchRequestOf(q: MemoryQuery): SearchRequestInput {
  const perPage = Number(q.per_page);
  const req: Record<string, unknown> = {
    text: q.q ?? '',
    search_mode: q.mode,
    hybrid_alpha: q.alpha,
    distance_threshold: q.max_distance,
    recency_boost: q.recency === 'on',
    limit: perPage,
    offset: (q.page - 1) * perPage,
  };
  for (const field of TAG_FIELDS) {
    const value = q[field];
    if (value === undefined) continue;
    const op = q[`${field}_op`];
    req[field] = { [op]: op === 'any' || op === 'all' ? commaList(value) : value };
  }
  for (const field of TIME_FIELDS) {
    const from = q[`${field}_from`];
    const to = q[`${field}_to`];
    if (from === undefined && to === undefined) continue;
    req[field] = {
      ...(from !== undefined ? { gte: DAY.test(from) ? `${from}T00:00:00Z` : from } : {}),
      ...(to !== undefined ? { lte: DAY.test(to) ? `${to}T23:59:59.999Z` : to } : {}),
    };
  }
  if (q.importance_min !== undefined || q.importance_max !== undefined) {
    req.importance = {
      ...(q.importance_min !== undefined ? { gte: q.importance_min } : {}),
      ...(q.importance_max !== undefined ? { lte: q.importance_max } : {}),
    };
  }
  if (q.pinned) req.pinned = q.pinned === 'true';
  for (const key of Object.keys(req)) if (req[key] === undefined) delete req[key];
  return req as SearchRequestInput;
}

export const MemoryIdQuery = z.object({ id: Identifier });

export const EditForm = z.object({
  id: Identifier,
  text: z.string({ error: 'expected the text' }),
  memory_type: z.string(),
  topics: z.string().default(''),
  entities: z.string().default(''),
  importance: optionalNumber,
  pinned: z.literal('on').optional(),
  event_date: z.string().trim().default(''),
});

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((v, i) => v === b[i]);

/**
 * The fields the form changed, and only those: saving an untouched form changes nothing and writes no history.
 * Browsers send a textarea's line breaks as CRLF; they are compared and stored as LF.
 */
export function patchOf(form: z.output<typeof EditForm>, current: MemoryRecord): Record<string, unknown> {
  const patch: Partial<Record<keyof MemoryRecordPatch, unknown>> = {};
  const text = form.text.replace(/\r\n?/g, '\n');
  if (text !== current.text) patch.text = text;
  if (form.memory_type !== current.memory_type) patch.memory_type = form.memory_type;
  const topics = commaList(form.topics);
  if (!sameList(topics, current.topics)) patch.topics = topics;
  const entities = commaList(form.entities);
  if (!sameList(entities, current.entities)) patch.entities = entities;
  if (form.importance !== undefined && form.importance !== current.importance) patch.importance = form.importance;
  const pinned = form.pinned === 'on';
  if (pinned !== current.pinned) patch.pinned = pinned;
  const eventDate = form.event_date || null;
  if (
    eventDate !== current.event_date &&
    !(eventDate && current.event_date && sameInstant(eventDate, current.event_date))
  ) {
    patch.event_date = eventDate;
  }
  return patch;
}

const sameInstant = (a: string, b: string) => Date.parse(a) === Date.parse(b);

export const PinForm = z.object({ id: Identifier, pinned: z.enum(['true', 'false']), return_to: ReturnTo.optional() });
export const DeleteForm = z.object({ id: Identifier, return_to: ReturnTo.optional() });
export const BulkDeleteForm = z.object({
  ids: valueList.refine((ids) => ids.length > 0, { message: 'select at least one memory' }),
  return_to: ReturnTo.optional(),
});

export const SessionListQuery = z.object({ namespace: optionalText, user_id: optionalText, page: pageNumber });

export const SessionQuery = z.object({
  id: Identifier,
  namespace: optionalText,
  user_id: optionalText,
  model: z
    .string()
    .trim()
    .max(200)
    .optional()
    .transform((v) => v || undefined),
  window: optionalNumber,
});

export const ForkForm = z.object({
  session_id: Identifier,
  namespace: optionalText,
  user_id: optionalText,
  new_session_id: optionalText,
  at_message_id: optionalText,
});
export const SessionDeleteForm = z.object({ session_id: Identifier, namespace: optionalText, user_id: optionalText });

export const ActivityFilterQuery = z.object({
  action: valueList,
  resource: optionalText,
  namespace: optionalText,
  user_id: optionalText,
  session_id: optionalText,
  cursor: optionalText,
});
export type ActivityFilterQuery = z.output<typeof ActivityFilterQuery>;

/** GET /v1/activity's query from the filter form (the engine validates it, actions included). */
export function activityQueryOf(f: ActivityFilterQuery, withCursor: boolean): Record<string, string> {
  const q: Record<string, string | undefined> = {
    action: f.action.length ? f.action.join(',') : undefined,
    resource: f.resource,
    namespace: f.namespace,
    user_id: f.user_id,
    session_id: f.session_id,
    cursor: withCursor ? f.cursor : undefined,
  };
  return Object.fromEntries(Object.entries(q).filter((e): e is [string, string] => e[1] !== undefined));
}

export const FORGET_INTENTS = ['preview', 'apply', 'decay'] as const;

export const ForgetForm = z.object({
  max_age_days: optionalNumber,
  max_inactive_days: optionalNumber,
  budget: optionalNumber,
  hard_age_multiplier: optionalNumber,
  types: valueList,
  pinned_ids: optionalText,
  namespace: optionalText,
  user_id: optionalText,
  session_id: optionalText,
  limit: optionalNumber,
  intent: z.enum(FORGET_INTENTS).default('preview'),
});
export type ForgetForm = z.output<typeof ForgetForm>;

/** The body and scope of POST /v1/long-term-memory/forget that the form describes. */
export function forgetCallOf(f: ForgetForm, dryRun: boolean): { body: ForgetBody; scope: ForgetScope } {
  const policy: Record<string, unknown> = {
    max_age_days: f.max_age_days,
    max_inactive_days: f.max_inactive_days,
    budget: f.budget,
    hard_age_multiplier: f.hard_age_multiplier,
    memory_type_allowlist: f.types.length ? f.types : undefined,
  };
  for (const key of Object.keys(policy)) if (policy[key] === undefined) delete policy[key];
  const pinned = commaList(f.pinned_ids);
  return {
    body: { policy, ...(pinned.length ? { pinned_ids: pinned } : {}) } as ForgetBody,
    scope: { namespace: f.namespace, user_id: f.user_id, session_id: f.session_id, limit: f.limit, dry_run: dryRun },
  };
}

export const EraseForm = z.object({
  user_id: Identifier,
  namespace: optionalText,
  confirm: z.string().trim().default(''),
});

export const LoginForm = z.object({
  token: z.string().trim().min(1, 'paste a token').max(16_384, 'that is not a token'),
  next: ReturnTo.optional().catch(undefined),
});
