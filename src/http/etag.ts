import { invalid } from '../errors.js';

/** A working memory's entity tag: its version, which every write bumps. */
export const etagOf = (version: number): string => `"${version}"`;

/** What an If-Match or If-None-Match header asks for: any existing version, or one version. */
export type TagCondition = { any: true } | { any: false; version: number };

/**
 * Reads a precondition header. Only what this server hands out can match: `*` or one strong tag of a version
 * ("3"). A weak tag (W/"3") never matches under If-Match's strong comparison, and a list has no one version to
 * check atomically, so both are refused with a message rather than silently never matching.
 */
export function parseTagCondition(header: string | undefined, name: string): TagCondition | undefined {
  if (header === undefined) return undefined;
  const value = header.trim();
  if (value === '*') return { any: true };
  const m = /^"(\d{1,15})"$/.exec(value);
  if (!m) {
    throw invalid(
      `${name} must be * or one ETag this server returned, such as "3" (quotes included); got ${JSON.stringify(header)}.`,
    );
  }
  return { any: false, version: Number(m[1]) };
}
