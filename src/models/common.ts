import { z } from 'zod';

/** Times arrive as ISO 8601 strings or epoch numbers (seconds below 1e11, else milliseconds). */
export const TimeInput = z.union([z.string().min(1), z.number().finite()]);
export type TimeInput = z.infer<typeof TimeInput>;

/** Years 0000 to 9999: what ISO 8601's four-digit years, and so every store's time columns, can hold. */
export const MIN_EPOCH_MS = -62_167_219_200_000; // 0000-01-01T00:00:00Z (Date.UTC maps year 0 to 1900)
export const MAX_EPOCH_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);

export function toEpochMs(value: TimeInput): number | null {
  let ms: number;
  if (typeof value === 'number') {
    ms = Math.abs(value) < 1e11 ? Math.round(value * 1000) : Math.round(value);
  } else {
    const trimmed = value.trim();
    if (/^-?\d+(\.\d+)?$/.test(trimmed)) return toEpochMs(Number(trimmed));
    ms = Date.parse(trimmed);
  }
  return Number.isFinite(ms) && ms >= MIN_EPOCH_MS && ms <= MAX_EPOCH_MS ? ms : null;
}

/** A time that must parse; the message says what forms are accepted. */
export const Timestamp = TimeInput.refine((v) => toEpochMs(v) !== null, {
  message:
    'expected an ISO 8601 date-time (e.g. 2026-05-01T12:00:00Z) or an epoch number (seconds or milliseconds), between the years 0000 and 9999',
});

export const isoOf = (ms: number) => new Date(ms).toISOString();

const NUMERIC = /^\s*[-+]?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*$/;
const TRUE = new Set(['true', '1', 'yes', 'on']);
const FALSE = new Set(['false', '0', 'no', 'off']);

/**
 * A request number that may arrive as a numeric string ("4000"), as the reference server's pydantic models take it
 * (its Python client sends some that way). Anything else still fails `schema` with its own message.
 */
export const laxNumber = <T extends z.ZodType>(schema: T) =>
  // Typed as `schema` (the text form is a wire leniency), so `z.input` of a model stays precise for typed clients.
  z.preprocess((v) => (typeof v === 'string' && NUMERIC.test(v) ? Number(v) : v), schema) as unknown as T;

/** A request boolean that may arrive as "true"/"false" (also 1/0, yes/no, on/off), as pydantic takes it. */
export const laxBoolean = <T extends z.ZodType>(schema: T) =>
  z.preprocess((v) => {
    const k = typeof v === 'string' ? v.trim().toLowerCase() : typeof v === 'number' ? String(v) : null;
    return k !== null && TRUE.has(k) ? true : k !== null && FALSE.has(k) ? false : v;
  }, schema) as unknown as T;

/**
 * The error of a request body's unknown fields: names them and the fields the body takes, so a misspelt filter is
 * a 422 the caller can fix instead of a silently ignored criterion. Reads the allowed fields from the schema that
 * raised it, so `.extend()` and `.partial()` copies name their own.
 */
export const unknownFieldsError = (iss: { code?: string; keys?: readonly string[]; inst?: unknown }) => {
  if (iss.code !== 'unrecognized_keys') return undefined;
  const shape = (iss.inst as { _zod?: { def?: { shape?: Record<string, unknown> } } } | undefined)?._zod?.def?.shape;
  const keys = iss.keys ?? [];
  const allowed = shape ? Object.keys(shape).join(', ') : '';
  return `unknown field${keys.length === 1 ? '' : 's'} ${keys.map((k) => `'${k}'`).join(', ')}${allowed ? `; the allowed fields are: ${allowed}` : ''}`;
};

/** A request body that refuses unknown fields with `unknownFieldsError`. */
export const strictBody = <S extends z.ZodRawShape>(shape: S) => z.strictObject(shape, { error: unknownFieldsError });

export const Identifier = z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

/** Topic and entity values: commas would break the tag encoding of search indexes. */
export const TagValue = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200)
  .refine((s) => !s.includes(','), { message: 'commas are not allowed inside topics/entities values' });

/** How deep free JSON (metadata, session data) may nest: deeper would overflow the stack of JSON.stringify. */
export const MAX_JSON_DEPTH = 64;

/** True when `value` nests objects or arrays deeper than `max`; walks with its own stack, never recursing. */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object') continue;
    if (depth > max) return true;
    for (const child of Array.isArray(v) ? v : Object.values(v)) {
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}

export const JsonObject = z.record(z.string(), z.unknown()).refine((v) => !nestsDeeperThan(v, MAX_JSON_DEPTH), {
  message: `nests deeper than ${MAX_JSON_DEPTH} levels; flatten it`,
});
