import { describe, expect, it } from 'vitest';
import { analyze, analyzeToString, queryTerms, words } from '../../src/text/analyzer.js';
import { STOPWORDS } from '../../src/text/stopwords.js';

describe('analyze', () => {
  it('drops stopwords and lower-cases', () => {
    expect(analyze('The Cat sat ON the mat')).toEqual(['cat', 'sat', 'mat']);
    expect(analyze('and the of to in it is was')).toEqual([]);
  });

  it('Porter-stems so word forms meet', () => {
    expect(analyze('running')).toEqual(['run']);
    expect(analyze('memories')).toEqual(['memori']);
    expect(analyze('memory')).toEqual(analyze('memories'));
    expect(analyze('prizes')).toEqual(analyze('prize'));
  });

  it('drops possessives and splits contractions', () => {
    expect(analyze("John's car")).toEqual(['john', 'car']);
    expect(analyze('John’s car')).toEqual(['john', 'car']);
    expect(analyze("the students' books")).toEqual(['student', 'book']);
    expect(analyze("we'll go, they're here, I'm sure, you've seen")).toEqual(['go', 'sure', 'seen']);
    expect(analyze("don't won't can't isn't")).toEqual([]);
    expect(analyze("O'Brien")).toEqual(['obrien']);
  });

  it('keeps numbers and real words that are only contraction fragments in NLTK', () => {
    expect(analyze('I won 7 prizes in 2023')).toEqual(['won', '7', 'prize', '2023']);
    expect(analyze('GPT-4o costs 3.14')).toEqual(['gpt', '4o', 'cost', '3', '14']);
    expect(analyze('Don called')).toEqual(['don', 'call']);
  });

  it('folds diacritics and compatibility forms', () => {
    expect(analyze('Café résumé')).toEqual(analyze('cafe resume'));
    expect(analyze('ﬁle ２０２３')).toEqual(['file', '2023']);
    expect(words('Crème BRÛLÉE')).toEqual(['creme', 'brulee']);
  });

  it('handles empty and punctuation-only input', () => {
    expect(analyze('')).toEqual([]);
    expect(analyze('  ...!?  ')).toEqual([]);
    expect(analyzeToString('')).toBe('');
  });

  it('joins tokens with single spaces', () => {
    expect(analyzeToString('  Running   dogs,\n barking! ')).toBe('run dog bark');
  });

  it('queryTerms are unique in first-seen order', () => {
    expect(queryTerms('dogs bark; the dog barked at dogs')).toEqual(['dog', 'bark']);
  });

  it('uses an NLTK-sized stopword list', () => {
    expect(STOPWORDS.size).toBeGreaterThan(140);
    expect(STOPWORDS.has('the')).toBe(true);
    expect(STOPWORDS.has('memory')).toBe(false);
  });
});
