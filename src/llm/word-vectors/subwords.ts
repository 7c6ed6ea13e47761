import { hash32 } from '../../util/hash.js';

/** Character n-grams of `<word>` (3 to 5 letters), the pieces that give a word outside the vocabulary a vector. */
export const MIN_NGRAM = 3;
export const MAX_NGRAM = 5;
export const BUCKETS = 1 << 16;

/** The bucket of an n-gram. */
export const bucketOf = (ngram: string): number => hash32(ngram) & (BUCKETS - 1);

/** Buckets of every n-gram of `<word>`. */
export function wordBuckets(word: string): number[] {
  const marked = `<${word}>`;
  const out: number[] = [];
  for (let n = MIN_NGRAM; n <= MAX_NGRAM; n++) {
    for (let i = 0; i + n <= marked.length; i++) out.push(bucketOf(marked.slice(i, i + n)));
  }
  return out;
}
