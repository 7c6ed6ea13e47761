import { z } from 'zod';

/**
 * Argument shapes of the reference server's MCP tools (Redis Agent Memory Server, a Python FastMCP server), so
 * that agent configs written for it work unchanged. Its optional arguments are typed `X | None`, so its clients
 * send `null` for "not given"; its filter objects are pydantic models that carry their own field name (`field`)
 * and, for time ranges, `inclusive`. Everything else stays strict: an argument or operator we cannot honour is
 * refused, never dropped.
 */

const nullToAbsent = (v: unknown) => (v === null ? undefined : v);

/** An optional argument that may also arrive as `null`, meaning "not given" (its default then applies). */
export const orNull = <T extends z.ZodType>(schema: T): Lenient<T> =>
  z.preprocess(nullToAbsent, schema) as unknown as Lenient<T>;

/** A schema that first normalises what the reference's clients send. */
export type Lenient<T extends z.ZodType> = z.ZodType<z.output<T>, unknown>;
type Shape = Record<string, z.ZodType>;

/** Every field of `shape`, accepting `null` as "not given". */
export function nullable<S extends Shape>(shape: S): { [K in keyof S]: Lenient<S[K]> } {
  return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, orNull(v)])) as { [K in keyof S]: Lenient<S[K]> };
}

type Bounds = 'both' | 'neither' | 'left' | 'right';
const INCLUSIVE: readonly Bounds[] = ['both', 'neither', 'left', 'right'];

/**
 * A filter argument as the reference's clients send it: `field` (a pydantic default equal to the argument's name)
 * is dropped when it names this argument and refused when it names another; a time filter's `inclusive`
 * (both | neither | left | right, for `between`) is turned into the equivalent gt/gte/lt/lte bounds.
 */
export function referenceFilter<T extends z.ZodType>(name: string, schema: T): Lenient<T> {
  return z.preprocess((value, ctx) => {
    if (value === null) return undefined;
    if (typeof value !== 'object' || Array.isArray(value)) return value;
    const { field, inclusive, ...rest } = value as Record<string, unknown>;
    if (field !== undefined && field !== name) {
      ctx.addIssue({
        code: 'custom',
        message: `${name}.field is ${JSON.stringify(field)}: a filter's field must be its own argument's name`,
      });
      return value;
    }
    if (inclusive === undefined || inclusive === null || inclusive === 'both') return rest;
    if (!INCLUSIVE.includes(inclusive as Bounds)) {
      ctx.addIssue({ code: 'custom', message: `${name}.inclusive must be one of ${INCLUSIVE.join(', ')}` });
      return value;
    }
    const between = rest.between;
    if (!Array.isArray(between) || between.length !== 2) {
      ctx.addIssue({ code: 'custom', message: `${name}.inclusive applies to between: give between: [from, to]` });
      return value;
    }
    const others = Object.keys(rest).filter((k) => k !== 'between');
    if (others.length) {
      ctx.addIssue({
        code: 'custom',
        message: `${name}: between with inclusive "${String(inclusive)}" cannot be combined with ${others.join(', ')}`,
      });
      return value;
    }
    const [from, to] = between;
    const low = inclusive === 'left' ? { gte: from } : { gt: from };
    const high = inclusive === 'right' ? { lte: to } : { lt: to };
    return { ...low, ...high };
  }, schema) as unknown as Lenient<T>;
}

/** Every filter of `shape` in its reference form (see referenceFilter). */
export function referenceFilters<S extends Shape>(shape: S): { [K in keyof S]: Lenient<S[K]> } {
  return Object.fromEntries(Object.entries(shape).map(([k, v]) => [k, referenceFilter(k, v)])) as {
    [K in keyof S]: Lenient<S[K]>;
  };
}

/**
 * `server_side_recency` of the reference picks where its recency re-rank runs (inside Redis, or in its Python
 * process after the query). Here the re-rank always runs in the engine, over the candidates before the page is cut,
 * with the same formula and the recency_* weights given, so both values give the same ranking: the argument is
 * accepted for compatibility and documented as such (docs/compatibility.md).
 */
export const ServerSideRecencyArg = orNull(
  z
    .boolean()
    .optional()
    .describe(
      'Accepted for compatibility with the reference server: the recency re-rank always runs in the server here.',
    ),
);

/**
 * Search arguments that only one search mode reads are refused in the others, as the reference refuses
 * distance_threshold outside semantic search, instead of being ignored: distance_threshold bounds the vector part
 * (semantic or hybrid), hybrid_alpha weighs the two parts of hybrid search.
 */
export function modeArgsError(args: {
  search_mode?: string;
  distance_threshold?: number;
  hybrid_alpha?: number;
}): string | undefined {
  const mode = args.search_mode ?? 'hybrid';
  if (args.distance_threshold !== undefined && mode === 'keyword') {
    return 'distance_threshold bounds the vector search: it applies to search_mode semantic or hybrid, not keyword';
  }
  if (args.hybrid_alpha !== undefined && mode !== 'hybrid') {
    return `hybrid_alpha weighs the two halves of hybrid search: it does not apply to search_mode ${mode}`;
  }
  return undefined;
}
