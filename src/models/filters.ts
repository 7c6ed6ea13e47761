import { z } from 'zod';
import { type AttributeCondition, AttributeFilters, MemoryTier, SpatialFilter, StepFilter } from './agent.js';
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
/**
 * Filters on agent memories (issue 15): the agent, its step numbers, where the memory happened, and values of
 * declared content/metadata paths (AGENT_ATTRIBUTE_PATHS). Every one runs inside the store.
 */
export const AgentFilterShape = {
  agent_id: TagFilterInput.optional().describe('The agent whose memories to search (tag operators).'),
  step_number: StepFilter.optional().describe('Range on step numbers, e.g. {"between": [100, 200]}.'),
  location: SpatialFilter.optional().describe(
    'Spatial filter: {"within": {"x": 10, "y": 20, "radius": 5}} or a {"box": {…}}; {lat, lon, radius_m} for places.',
  ),
  attributes: AttributeFilters.optional().describe(
    'Conditions on declared paths of content/metadata: {"content.health": {"lt": 0.3}, "metadata.role": "scout"}.',
  ),
  memory_tiers: z
    .array(MemoryTier)
    .min(1, 'memory_tiers: give at least one of stm, im, ltm')
    .optional()
    .describe('Agent memories in these tiers only, e.g. ["stm", "im"]; other memories have no tier and never match.'),
};

export const MemoryFilter = z.object({ ...MemoryFilterShape, ...AgentFilterShape });
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
/** A spatial filter as the stores receive it; geo boxes are in degrees with x = lon, y = lat. */
export type SpatialBounds =
  | { kind: 'xy'; minX: number; minY: number; maxX: number; maxY: number; circle?: { x: number; y: number; r: number } }
  | {
      kind: 'geo';
      minX: number;
      minY: number;
      maxX: number;
      maxY: number;
      /** Great-circle distance in metres from (lat, lon). */
      circle?: { lat: number; lon: number; radiusM: number };
    };

/** One condition on a declared attribute path (content.a.b or metadata.c). */
export interface AttributeBound {
  path: string;
  cond: AttributeCondition;
}

/** Agent-memory filters as the stores receive them. */
export interface AgentStoreFilter {
  agent_id?: TagFilter;
  /** Bounds on step_number, with the time operators. */
  step?: TimeBounds;
  spatial?: SpatialBounds;
  attributes?: AttributeBound[];
  tiers?: MemoryTier[];
  /** Bounds on tier_step (the tier maintenance's own filter; not a request field). */
  tierStep?: TimeBounds;
}

export interface StoreFilter {
  tags: Partial<Record<TagField, TagFilter>>;
  times: Partial<Record<TimeField, TimeBounds>>;
  /** Bounds on importance, with the same operators as times. */
  importance?: TimeBounds;
  pinned?: boolean;
  agent?: AgentStoreFilter;
}

export type { TimeInput };
