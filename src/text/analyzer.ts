import { stemmer } from 'stemmer';
import { STOPWORDS } from './stopwords.js';

// ASCII text (the common case) skips normalisation and uses a cheaper, non-Unicode word pattern.
const NON_ASCII = /[\u0080-\uffff]/;
// After NFKD an accented letter is base letter + nonspacing mark; dropping the marks folds "café" into "cafe".
const NONSPACING_MARKS = /\p{Mn}/gu;
// Typographic apostrophes must split and strip like the ASCII one, or "John’s" and "John's" index differently.
const APOSTROPHE_LIKE = /[\u2018\u2019\u02bc\u2032\uff07]/g;
// A word is a run of letters/digits; apostrophes count only between them, so "students'" and "'cause" lose theirs.
// Spacing marks (\p{M}) stay inside words so scripts such as Devanagari are not shattered.
const WORD_ASCII = /[a-z0-9]+(?:'[a-z0-9]+)*/g;
const WORD_UNICODE = /[\p{L}\p{N}\p{M}]+(?:'[\p{L}\p{N}\p{M}]+)*/gu;
// Suffixes whose base word carries the meaning: possessive/"is" 's, and 're 've 'll 'd 'm.
const CONTRACTION_SUFFIXES = new Set(['s', 're', 've', 'll', 'd', 'm']);

// Porter stemming is regex-heavy; vocabularies are small, so a bounded memo makes it nearly free.
const STEM_CACHE_MAX = 50_000;
// No English word is this long; longer tokens are ids, hashes or base64 and gain nothing from stemming.
const STEM_MAX_LENGTH = 40;
const stemCache = new Map<string, string>();

/** Porter stem of an already lower-cased word, memoised. */
export function stem(word: string): string {
  let s = stemCache.get(word);
  if (s === undefined) {
    s = word.length > STEM_MAX_LENGTH ? word : stemmer(word);
    if (stemCache.size >= STEM_CACHE_MAX) stemCache.clear();
    stemCache.set(word, s);
  }
  return s;
}

function wordMatches(text: string): RegExpMatchArray | null {
  const lower = text.toLowerCase();
  if (!NON_ASCII.test(lower)) return lower.match(WORD_ASCII);
  // Lower-case again after NFKD: compatibility forms such as "ℌ" decompose to capitals.
  const folded = lower.normalize('NFKD').replace(NONSPACING_MARKS, '').replace(APOSTROPHE_LIKE, "'").toLowerCase();
  return folded.match(WORD_UNICODE);
}

/** Resolves a word containing apostrophes; null when the whole word is a negated auxiliary ("don't", "won't"). */
function resolveApostrophes(word: string): string | null {
  if (word.endsWith("n't")) return null;
  const at = word.lastIndexOf("'");
  const base = CONTRACTION_SUFFIXES.has(word.slice(at + 1)) ? word.slice(0, at) : word;
  // Whatever apostrophes remain are part of the word ("o'brien", "rock'n'roll"): join rather than split.
  return base.replaceAll("'", '');
}

/**
 * Normalised words of `text` in order, stopwords and contraction suffixes removed, not stemmed. The offline
 * embedder needs the surface forms for character n-grams; everything else wants `analyze`.
 */
export function words(text: string): string[] {
  const matches = wordMatches(text);
  if (matches === null) return [];
  const out: string[] = [];
  for (const m of matches) {
    const w = m.includes("'") ? resolveApostrophes(m) : m;
    if (w && !STOPWORDS.has(w)) out.push(w);
  }
  return out;
}

/** Index/query tokens: lower-cased, accent-folded, stopword-free, Porter-stemmed; numbers kept. */
export function analyze(text: string): string[] {
  const ws = words(text);
  for (let i = 0; i < ws.length; i++) ws[i] = stem(ws[i]!);
  return ws;
}

/** The form stores index (`IndexedMemory.terms`): tokens joined by single spaces. */
export function analyzeToString(text: string): string {
  return analyze(text).join(' ');
}

/** Unique analysed tokens in first-seen order, for OR-ing into a keyword query. */
export function queryTerms(text: string): string[] {
  return [...new Set(analyze(text))];
}
