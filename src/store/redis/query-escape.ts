/**
 * Making values safe inside RediSearch queries.
 *
 * TAG values are stored and queried hex-encoded (UTF-8 bytes). Hex is [0-9a-f] only, so no value — whatever
 * `-@{}|()*:"'\` it holds — can be read as query syntax; commas (the TAG separator) and case survive exactly,
 * where RediSearch would split on the one and fold the other; and a byte prefix is a hex prefix, so `startswith`
 * still works as a TAG prefix query.
 */
export const tagValue = (s: string): string => Buffer.from(s, 'utf8').toString('hex');

/** Stands for null in single-valued TAG fields, so `ne` can keep nulls as SQLite's `IS NULL OR !=` does. */
export const NULL_TAG = 'none';

export const tagOrNull = (s: string | null | undefined): string => (s == null ? NULL_TAG : tagValue(s));

/**
 * The characters RediSearch's tokenizer splits text on (toksep.h). A query term is split the same way, so it
 * matches what indexing made of the same text, and no piece can carry query syntax.
 */
const SEPARATORS = /[\s,./(){}[\]:;\\~!@#$%^&*\-=+|'`"<>?]+/u;

/**
 * Query tokens for one analysed term: split like the indexer, every ASCII character other than a letter, digit
 * or `_` escaped for safety. Only ASCII is escaped: the query lexer reads every non-ASCII byte as part of a term
 * and can escape only ASCII punctuation, so a backslash before a vowel sign (Devanagari, Tamil) or any other
 * non-ASCII mark made the term match nothing.
 */
export function textTokens(term: string): string[] {
  return term
    .split(SEPARATORS)
    .filter((t) => t !== '')
    .map((t) => t.replace(/[^\p{L}\p{N}_]/gu, (c) => (c.charCodeAt(0) < 0x80 ? `\\${c}` : c)));
}
