import { z } from 'zod';
import { Identifier, JsonObject, laxNumber, strictBody, TagValue, Timestamp } from './common.js';

/** The memory types of agents that act over time (issue 15), beside episodic, semantic and message. */
export const AGENT_MEMORY_TYPES = ['state', 'action', 'interaction'] as const;
export type AgentMemoryType = (typeof AGENT_MEMORY_TYPES)[number];
export const isAgentMemoryType = (t: string): t is AgentMemoryType =>
  (AGENT_MEMORY_TYPES as readonly string[]).includes(t);

const finite = z.number().finite();

/** Where a memory happened: a point of the agent's world (`{x, y}`) or of the Earth (`{lat, lon}`, degrees). */
export const PlanarLocation = z.strictObject({ x: finite, y: finite });
export const GeoLocation = z.strictObject({ lat: finite.min(-90).max(90), lon: finite.min(-180).max(180) });
export const Location = z.union([PlanarLocation, GeoLocation], {
  error: 'location is {x, y} (a point of the world) or {lat, lon} (degrees)',
});
export type Location = z.infer<typeof Location>;
export const isGeo = (l: Location): l is z.infer<typeof GeoLocation> => 'lat' in l;

/**
 * The tiers of agent memories: STM keeps full detail; IM keeps the full text and the content compressed (declared
 * attribute paths stay in clear, so filters still see them); LTM also keeps only a short text. New agent memories
 * enter STM; the maintenance pass moves them down, a detailed read and frequent reads move them back up.
 */
export const MEMORY_TIERS = ['stm', 'im', 'ltm'] as const;
export const MemoryTier = z.enum(MEMORY_TIERS);
export type MemoryTier = z.infer<typeof MemoryTier>;

/** The key under which IM and LTM records keep their full content (and LTM its full text), compressed. */
export const COMPRESSED_KEY = '$compressed';

/** A step number: a whole number of the simulation's clock, 0 or more. */
export const StepNumber = laxNumber(z.number().int().min(0).max(Number.MAX_SAFE_INTEGER));

/**
 * A spatial filter. `within` is a circle: `{x, y, radius}` in the world's units over `{x, y}` locations, or
 * `{lat, lon, radius_m}` in metres (great-circle) over `{lat, lon}` ones; `box` is a rectangle, ends included.
 * Memories without a location, or with the other kind, never match.
 */
export const SpatialFilter = z.union(
  [
    strictBody({ within: z.strictObject({ x: finite, y: finite, radius: finite.min(0) }) }),
    strictBody({
      within: z.strictObject({ lat: GeoLocation.shape.lat, lon: GeoLocation.shape.lon, radius_m: finite.min(0) }),
    }),
    strictBody({
      box: z
        .strictObject({ min_x: finite, min_y: finite, max_x: finite, max_y: finite })
        .refine((b) => b.min_x <= b.max_x && b.min_y <= b.max_y, { message: 'box: min must not be above max' }),
    }),
    strictBody({
      box: z
        .strictObject({
          min_lat: GeoLocation.shape.lat,
          min_lon: GeoLocation.shape.lon,
          max_lat: GeoLocation.shape.lat,
          max_lon: GeoLocation.shape.lon,
        })
        .refine((b) => b.min_lat <= b.max_lat && b.min_lon <= b.max_lon, { message: 'box: min must not be above max' }),
    }),
  ],
  {
    error:
      'location filter is {within: {x, y, radius}}, {within: {lat, lon, radius_m}}, {box: {min_x, min_y, max_x, max_y}} or {box: {min_lat, min_lon, max_lat, max_lon}}',
  },
);
export type SpatialFilter = z.infer<typeof SpatialFilter>;

/** Range on step numbers, with the time filters' operators. */
export const StepFilter = z
  .strictObject({
    gt: StepNumber,
    gte: StepNumber,
    lt: StepNumber,
    lte: StepNumber,
    eq: StepNumber,
    ne: StepNumber,
    between: z.tuple([StepNumber, StepNumber]),
  })
  .partial()
  .refine((f) => Object.keys(f).length > 0, { message: 'a step filter needs one of gt, gte, lt, lte, eq, ne, between' })
  .refine((f) => !f.between || f.between[0] <= f.between[1], {
    message: 'step_number.between: the first value must not be above the second',
  });
export type StepFilter = z.infer<typeof StepFilter>;

const Scalar = z.union([z.string().max(256), finite, z.boolean()]);
/** One attribute filter: a bare value means `eq`; operators combine with AND. */
export interface AttributeOps {
  eq?: string | number | boolean;
  ne?: string | number | boolean;
  gt?: number;
  gte?: number;
  lt?: number;
  lte?: number;
  any?: (string | number | boolean)[];
}
export const AttributeCondition = z.union([
  Scalar.transform((eq): AttributeOps => ({ eq })),
  z
    .strictObject({
      eq: Scalar,
      ne: Scalar,
      gt: finite,
      gte: finite,
      lt: finite,
      lte: finite,
      any: z.array(Scalar).min(1, 'needs at least one value').max(100),
    })
    .partial()
    .refine((f) => Object.keys(f).length > 0, {
      message: 'an attribute filter needs one of eq, ne, gt, gte, lt, lte, any',
    }),
]);
export type AttributeCondition = AttributeOps;

/** A declared attribute path: `content.` or `metadata.` then dot-separated keys (letters, digits, _ and -). */
export const ATTRIBUTE_PATH = /^(content|metadata)(\.[A-Za-z0-9_-]{1,64}){1,8}$/;

/** `attributes`: declared path → condition, e.g. `{"content.health": {"lt": 0.3}, "metadata.role": "scout"}`. */
export const AttributeFilters = z
  .record(
    z.string().regex(ATTRIBUTE_PATH, 'attribute paths look like content.health or metadata.team.name'),
    AttributeCondition,
  )
  .refine((r) => Object.keys(r).length <= 16, { message: 'at most 16 attribute filters' });

/**
 * One agent memory as a caller stores it (REST /v1/agent-memory/…, MCP store_agent_state/action/interaction).
 * `content` is the state, action or interaction as JSON; `text`, what search reads, is derived from it when not
 * given. `priority` is the AgentMemoryAPI name of `importance` (0–1).
 */
export const AgentRecordShape = {
  id: Identifier.optional().describe('Stable id; re-sending an id overwrites that memory. A ULID when absent.'),
  step_number: StepNumber.describe('The simulation step (0 or more).'),
  content: JsonObject.describe('The state, action or interaction, e.g. {"position": [10, 20], "health": 0.85}.'),
  text: z
    .string()
    .max(16_384)
    .optional()
    .refine((s) => s === undefined || s.trim().length > 0, { message: 'text must not be empty' })
    .describe('The searchable text; derived from content when absent.'),
  importance: laxNumber(z.number().min(0).max(1).optional()).describe('0–1; defaults to 0.5.'),
  priority: laxNumber(z.number().min(0).max(1).optional()).describe('Same as importance (the AgentMemoryAPI name).'),
  location: Location.optional(),
  namespace: Identifier.nullish(),
  user_id: Identifier.nullish(),
  session_id: Identifier.nullish(),
  topics: z.array(TagValue).max(100).optional(),
  entities: z.array(TagValue).max(100).optional(),
  metadata: JsonObject.optional(),
  created_at: Timestamp.optional().describe('When it happened; now when absent.'),
};
export const AgentRecordInput = strictBody(AgentRecordShape).refine(
  (r) => r.importance === undefined || r.priority === undefined || r.importance === r.priority,
  { message: 'importance and priority are the same field: give one' },
);
export type AgentRecordInput = z.input<typeof AgentRecordInput>;
export type AgentRecordParsed = z.output<typeof AgentRecordInput>;

/** A batch of agent memories of any kinds and agents (POST /v1/agent-memory/batch). */
export const AgentBatchRequest = strictBody({
  records: z
    .array(
      strictBody({
        ...AgentRecordShape,
        agent_id: Identifier,
        memory_type: z.enum(AGENT_MEMORY_TYPES),
      }),
    )
    .min(1, 'give at least one record')
    .max(1000),
});
export type AgentBatchRequest = z.output<typeof AgentBatchRequest>;

/** POST /v1/agent-memory/maintenance: one agent, or every agent (of one namespace). */
export const TierMaintenanceRequest = strictBody({
  agent_id: Identifier.optional().describe('Only this agent; every agent with memories in STM or IM when absent.'),
  namespace: Identifier.optional().describe("Only this namespace's memories."),
});

const TierCounts = z.object({ stm: z.number().int(), im: z.number().int(), ltm: z.number().int() });
export const TierMaintenanceReport = z.object({
  agents: z.number().int(),
  moved: z.object({ stm_to_im: z.number().int(), im_to_ltm: z.number().int() }),
  before: TierCounts,
  after: TierCounts,
  stopped: z.boolean().describe('True when the server began shutting down during the pass.'),
});

export const AgentStoreResult = z.object({
  status: z.string(),
  memories: z.array(
    z.object({ id: z.string(), outcome: z.enum(['created', 'updated', 'duplicate']), text: z.string() }),
  ),
});
export type AgentStoreResult = z.infer<typeof AgentStoreResult>;

/** GET /v1/agent-memory/{agent_id}/stats, MCP agent_memory_stats. */
export const AgentStats = z.object({
  agent_id: z.string(),
  total_memories: z.number().int(),
  memory_type_distribution: z.record(z.string(), z.number().int()),
  memory_tier_distribution: z.object({ stm: z.number().int(), im: z.number().int(), ltm: z.number().int() }),
  first_step: z.number().int().nullable(),
  last_step: z.number().int().nullable(),
  content_bytes: z
    .number()
    .int()
    .describe("UTF-8 bytes of the agent's texts and contents as stored (compressed in IM and LTM); vectors aside."),
});

/** GET /v1/agent-memory/{agent_id}/changes, MCP agent_state_changes. */
export const AttributeChanges = z.object({
  agent_id: z.string(),
  attribute: z.string(),
  states_compared: z.number().int(),
  changes: z.array(
    z.object({ step_number: z.number().int(), memory_id: z.string(), from: z.unknown(), to: z.unknown() }),
  ),
});
