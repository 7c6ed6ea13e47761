import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { analyze } from '../../src/text/analyzer.js';

interface Fact {
  id: string;
  fact: string;
  hard: string;
  light: string;
}
const facts = JSON.parse(readFileSync('bench/paraphrase/facts.json', 'utf8')) as Fact[];
// "user" is how facts name the person; it carries no topic.
const content = (s: string) => new Set(analyze(s).filter((t) => t !== 'user'));
const shared = (a: string, b: string) => [...content(a)].filter((t) => content(b).has(t));

/** The bench's paraphrase set must stay what it claims to be, or its figures mean nothing. */
describe('paraphrase dev set (bench/paraphrase/facts.json)', () => {
  it('has at least 60 facts with unique ids, each with a hard and a light question', () => {
    expect(facts.length).toBeGreaterThanOrEqual(60);
    expect(new Set(facts.map((f) => f.id)).size).toBe(facts.length);
    for (const f of facts) for (const k of ['fact', 'hard', 'light'] as const) expect(f[k].trim()).not.toBe('');
  });

  it('hard questions share at most one analysed content word with their fact', () => {
    const over = facts
      .filter((f) => shared(f.fact, f.hard).length > 1)
      .map((f) => `${f.id}: ${shared(f.fact, f.hard)}`);
    expect(over).toEqual([]);
  });

  it('light questions share at least two analysed content words with their fact', () => {
    const under = facts
      .filter((f) => shared(f.fact, f.light).length < 2)
      .map((f) => `${f.id}: ${shared(f.fact, f.light)}`);
    expect(under).toEqual([]);
  });
});
