import { z } from 'zod';
import { type TimeInput, Timestamp } from './common.js';

const TagString = z.string().min(1, 'must not be empty').max(256);

/**
 * Tag filter. Operators combine with AND. `all` means every listed value is present (on single-valued fields,
 * that can only hold when all listed values are the same). Unknown operators are rejected, never ignored.
 */
export const TagFilter = z
  .object({
    eq: TagString,
    ne: TagString,
    any: z.array(TagString).min(1, 'needs at least one value'),
    all: z.array(TagString).min(1, 'needs at least one value'),
    startswith: TagString,
  })
  .partial()
  .strict()
  .refine((f) => Object.keys(f).length > 0, { message: 'a tag filter needs one of eq, ne, any, all, startswith' });
export type TagFilter = z.infer<typeof TagFilter>;

/** A bare string is shorthand for `{eq: value}`; a list for `{any: [...]}`. */
export const TagFilterInput = z.union([
  TagString.transform((eq): TagFilter => ({ eq })),
  z
    .array(TagString)
    .min(1)
    .transform((any): TagFilter => ({ any })),
  TagFilter,
]);

/** A range filter on one value type: operators combine with AND; unknown operators are refused. */
const rangeFilter = <T extends z.ZodType>(value: T, what: string) =>
  z
    .object({
      gt: value,
      gte: value,
      lt: value,
      lte: value,
      eq: value,
      ne: value,
      between: z.tuple([value, value]),
      // The reference's (redisvl's) ends of `between`; its Python client always sends the default "both".
      inclusive: z.enum(['both', 'neither', 'left', 'right']),
    })
    .partial()
    .strict()
    .refine((f) => Object.keys(f).some((k) => k !== 'inclusive'), {
      message: `${what} filter needs one of gt, gte, lt, lte, eq, ne, between`,
    })
    .refine((f) => f.inclusive === undefined || f.inclusive === 'both' || f.between !== undefined, {
      message: 'inclusive says which ends of `between` are included: give it with between',
    });

export const TimeFilter = rangeFilter(Timestamp, 'a time');
export type TimeFilter = z.infer<typeof TimeFilter>;

/** A range on importance (0–1), with the time filters' operators. */
export const ImportanceFilter = rangeFilter(z.number().min(0).max(1), 'an importance').refine(
  (f) => !f.between || f.between[0] <= f.between[1],
  { message: 'importance.between: the first value must not be above the second' },
);
export type ImportanceFilter = z.infer<typeof ImportanceFilter>;

export const TAG_FIELDS = [
  'session_id',
  'namespace',
  'user_id',
  'memory_type',
  'topics',
  'entities',
  'extraction_strategy',
] as const;
export type TagField = (typeof TAG_FIELDS)[number];
export const MULTI_VALUED_TAGS: ReadonlySet<TagField> = new Set(['topics', 'entities']);

export const TIME_FIELDS = ['created_at', 'last_accessed', 'event_date', 'updated_at'] as const;
export type TimeField = (typeof TIME_FIELDS)[number];

export const MemoryFilterShape = {
  session_id: TagFilterInput.optional(),
  namespace: TagFilterInput.optional(),
  user_id: TagFilterInput.optional(),
  memory_type: TagFilterInput.optional(),
  topics: TagFilterInput.optional(),
  entities: TagFilterInput.optional(),
  extraction_strategy: TagFilterInput.optional(),
  created_at: TimeFilter.optional(),
  last_accessed: TimeFilter.optional(),
  event_date: TimeFilter.optional(),
  updated_at: TimeFilter.optional(),
  importance: ImportanceFilter.optional().describe('Range on importance (0-1), e.g. {"gte": 0.7}.'),
  pinned: z.boolean().optional(),
};
export const MemoryFilter = z.object(MemoryFilterShape);
export type MemoryFilter = z.infer<typeof MemoryFilter>;

/** The normalised filter the stores receive: tags as value lists, times as epoch-ms bounds. */
export interface TimeBounds {
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  eq?: number;
  ne?: number;
}
export interface StoreFilter {
  tags: Partial<Record<TagField, TagFilter>>;
  times: Partial<Record<TimeField, TimeBounds>>;
  /** Bounds on importance, with the same operators as times. */
  importance?: TimeBounds;
  pinned?: boolean;
}

export type { TimeInput };
