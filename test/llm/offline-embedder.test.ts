import { describe, expect, it } from 'vitest';
import { OFFLINE_EMBEDDING_MODEL } from '../../src/config.js';
import { OfflineEmbedder } from '../../src/llm/offline-embedder.js';

const cosine = (a: Float32Array, b: Float32Array) => a.reduce((s, x, i) => s + x * b[i]!, 0);
const norm = (a: Float32Array) => Math.sqrt(cosine(a, a));

describe('OfflineEmbedder', () => {
  const e = new OfflineEmbedder();

  it('names its model and dimension', () => {
    expect(e.model).toBe(OFFLINE_EMBEDDING_MODEL);
    expect(e.dimension).toBe(256);
  });

  it('is deterministic and unit-length', async () => {
    const [a, b] = await e.embed(['The user prefers dark mode', 'The user prefers dark mode']);
    expect(a).toHaveLength(256);
    expect(Array.from(a!)).toEqual(Array.from(b!));
    expect(Array.from(new OfflineEmbedder().embedOne('The user prefers dark mode'))).toEqual(Array.from(a!));
    expect(norm(a!)).toBeCloseTo(1, 5);
  });

  it('puts paraphrases closer than unrelated text', async () => {
    const pairs: [string, string, string][] = [
      [
        'The user prefers dark mode in the editor',
        'User likes the dark editor mode',
        'Quarterly revenue grew ten percent',
      ],
      ['My daughter Emma plays the piano', "Emma's piano playing", 'The server crashed during deployment'],
      ['I am allergic to peanuts', 'peanut allergy', 'We booked flights to Lisbon for May'],
    ];
    for (const [text, paraphrase, unrelated] of pairs) {
      const [a, p, u] = await e.embed([text, paraphrase, unrelated]);
      expect(cosine(a!, p!)).toBeGreaterThan(cosine(a!, u!) + 0.2);
    }
  });

  it('returns a fixed unit vector for text without content words', async () => {
    const [empty, stop, punct] = await e.embed(['', 'the and of it', '?!']);
    for (const v of [empty!, stop!, punct!]) {
      expect(v.every(Number.isFinite)).toBe(true);
      expect(norm(v)).toBeCloseTo(1, 5);
    }
    expect(Array.from(empty!)).toEqual(Array.from(stop!));
  });

  it('returns one vector per input, in order', async () => {
    const texts = ['alpha', 'beta', 'gamma'];
    const vs = await e.embed(texts);
    expect(vs).toHaveLength(3);
    expect(Array.from(vs[1]!)).toEqual(Array.from(e.embedOne('beta')));
  });
});
