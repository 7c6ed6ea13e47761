import { describe, expect, it } from 'vitest';
import { CombinedEmbedder } from '../../src/llm/combined-embedder.js';
import type { Embedder } from '../../src/llm/embedder.js';
import { SentenceEncoderEmbedder, sentenceEncoderAvailable } from '../../src/llm/sentence-encoder-embedder.js';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);

describe('SentenceEncoderEmbedder (the shipped Universal Sentence Encoder lite)', () => {
  if (!sentenceEncoderAvailable())
    throw new Error('@energetic-ai/embeddings and its weights must be installed (npm ci)');
  const e = new SentenceEncoderEmbedder();

  it('embeds in a worker thread: unit-length, 512 dimensions, the same text alike', async () => {
    const [a, b, empty] = await e.embed(['My brother moved to Rotterdam', 'My brother moved to Rotterdam', '  ']);
    expect(a).toHaveLength(512);
    expect(Math.sqrt(cosine(a!, a!))).toBeCloseTo(1, 4);
    expect(cosine(a!, b!)).toBeCloseTo(1, 4);
    expect(Math.sqrt(cosine(empty!, empty!))).toBeCloseTo(1, 4);
  });

  it('puts paraphrases that share no word closer than unrelated text', async () => {
    const cases: [string, string, string][] = [
      [
        'Jonas accepted a job in Rotterdam',
        'Which Dutch city is my sibling relocating to?',
        'I knit scarves on weekends',
      ],
      ['Our beagle hides under the bed during storms', 'Where does my dog go when it thunders?', 'I pay off my card'],
      ['I refuse to use Apple products', 'Which smartphone ecosystem do I avoid?', 'The thermostat is at 68'],
    ];
    for (const [fact, question, unrelated] of cases) {
      const [f, q, u] = await e.embed([fact, question, unrelated]);
      expect(cosine(q!, f!), `${question} → ${fact}`).toBeGreaterThan(cosine(q!, u!));
    }
  });

  it('embeds a batch larger than one forward pass in order', async () => {
    const texts = Array.from({ length: 40 }, (_, i) => `note number ${i} about topic ${i % 7}`);
    const all = await e.embed(texts);
    const one = await e.embed([texts[33]!]);
    expect(all).toHaveLength(40);
    expect(cosine(all[33]!, one[0]!)).toBeCloseTo(1, 4);
  });
});

describe('CombinedEmbedder', () => {
  const fixed = (model: string, v: number[]): Embedder => ({
    model,
    dimension: v.length,
    fusion: { alpha: 0.5, basis: 'test' },
    embed: async (texts) => texts.map(() => Float32Array.from(v)),
  });

  it('concatenates unit parts scaled so that cosines average by weight', async () => {
    const c = new CombinedEmbedder(
      'combo',
      [
        { embedder: fixed('a', [3, 4]), weight: 0.25 },
        { embedder: fixed('b', [0, 0, 2]), weight: 0.75 },
      ],
      { alpha: 0.4, basis: 'test' },
    );
    expect(c.dimension).toBe(5);
    const [v] = await c.embed(['x']);
    expect(Array.from(v!).map((x) => Number(x.toFixed(4)))).toEqual([
      0.3,
      0.4,
      0,
      0,
      Number(Math.sqrt(0.75).toFixed(4)),
    ]);
    expect(Math.sqrt(cosine(v!, v!))).toBeCloseTo(1, 6);
  });
});
