import { describe, expect, it } from 'vitest';
import { contextWindowFor, DEFAULT_CONTEXT_WINDOW } from '../../src/core/model-windows.js';
import { countMessageTokens, countTokens } from '../../src/core/tokens.js';

describe('countTokens (cl100k_base)', () => {
  it('matches known counts', () => {
    expect(countTokens('')).toBe(0);
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('The quick brown fox jumps over the lazy dog.')).toBe(10);
  });

  it('counts special-token text as plain text instead of throwing', () => {
    expect(countTokens('a <|endoftext|> b')).toBeGreaterThan(3);
  });

  it('counts messages as "role: content"', () => {
    expect(countMessageTokens({ role: 'user', content: 'hello world' })).toBe(countTokens('user: hello world'));
    expect(countMessageTokens({ role: 'user', content: 'hello world' })).toBe(4);
  });
});

describe('contextWindowFor', () => {
  it('prefers an explicit maximum', () => {
    expect(contextWindowFor('gpt-4o', 5000)).toBe(5000);
    expect(contextWindowFor(undefined, 5000)).toBe(5000);
  });

  it('matches the longest prefix', () => {
    expect(contextWindowFor('gpt-4o')).toBe(128_000);
    expect(contextWindowFor('gpt-4o-mini-2024-07-18')).toBe(128_000);
    expect(contextWindowFor('gpt-4.1-nano')).toBe(1_047_576);
    expect(contextWindowFor('gpt-5-mini')).toBe(400_000);
    expect(contextWindowFor('gpt-4')).toBe(8192);
    expect(contextWindowFor('gpt-4-turbo-2024-04-09')).toBe(128_000);
    expect(contextWindowFor('gpt-3.5-turbo')).toBe(4096);
    expect(contextWindowFor('o3-mini')).toBe(200_000);
    expect(contextWindowFor('o4-mini')).toBe(200_000);
    expect(contextWindowFor('claude-3-5-sonnet-20241022')).toBe(200_000);
    expect(contextWindowFor('claude-sonnet-4-20250514')).toBe(200_000);
    expect(contextWindowFor('anthropic/claude-opus-4-1')).toBe(200_000);
  });

  it('falls back to the default', () => {
    expect(contextWindowFor()).toBe(DEFAULT_CONTEXT_WINDOW);
    expect(contextWindowFor('llama3.1:8b')).toBe(16_000);
  });
});
