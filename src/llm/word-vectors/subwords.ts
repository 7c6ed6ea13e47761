/** Character n-grams of `<word>` (3 to 5 letters), the pieces that give a word outside the vocabulary a vector. */
export const MIN_NGRAM = 3;
export const MAX_NGRAM = 5;
export const BUCKETS = 1 << 16;

/** FNV-1a with murmur3's finaliser, taken modulo the bucket count. */
export function bucketOf(ngram: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < ngram.length; i++) {
    h ^= ngram.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  return (h >>> 0) & (BUCKETS - 1);
}

/** Buckets of every n-gram of `<word>`. */
export function wordBuckets(word: string): number[] {
  const marked = `<${word}>`;
  const out: number[] = [];
  for (let n = MIN_NGRAM; n <= MAX_NGRAM; n++) {
    for (let i = 0; i + n <= marked.length; i++) out.push(bucketOf(marked.slice(i, i + n)));
  }
  return out;
}
