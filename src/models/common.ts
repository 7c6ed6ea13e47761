import { z } from 'zod';

/** Times arrive as ISO 8601 strings or epoch numbers (seconds below 1e11, else milliseconds). */
export const TimeInput = z.union([z.string().min(1), z.number().finite()]);
export type TimeInput = z.infer<typeof TimeInput>;

export function toEpochMs(value: TimeInput): number | null {
  if (typeof value === 'number') return Math.abs(value) < 1e11 ? Math.round(value * 1000) : Math.round(value);
  const trimmed = value.trim();
  if (/^-?\d+(\.\d+)?$/.test(trimmed)) return toEpochMs(Number(trimmed));
  const ms = Date.parse(trimmed);
  return Number.isNaN(ms) ? null : ms;
}

/** A time that must parse; the message says what forms are accepted. */
export const Timestamp = TimeInput.refine((v) => toEpochMs(v) !== null, {
  message: 'expected an ISO 8601 date-time (e.g. 2026-05-01T12:00:00Z) or an epoch number',
});

export const isoOf = (ms: number) => new Date(ms).toISOString();

export const Identifier = z.string().trim().min(1, 'must not be empty').max(256, 'must be at most 256 characters');

/** Topic and entity values: commas would break the tag encoding of search indexes. */
export const TagValue = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(200)
  .refine((s) => !s.includes(','), { message: 'commas are not allowed inside topics/entities values' });

export const JsonObject = z.record(z.string(), z.unknown());
