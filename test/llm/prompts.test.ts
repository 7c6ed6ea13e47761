import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/config.js';
import { PromptLibrary } from '../../src/llm/prompts.js';

const dirs: string[] = [];
const overrideDir = (files: Record<string, string>) => {
  const dir = mkdtempSync(join(tmpdir(), 'am-prompts-'));
  dirs.push(dir);
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

describe('prompt templates', () => {
  it('renders the bundled templates into a system prompt and a user message', () => {
    const p = new PromptLibrary().render('summarize', { max_words: 100, previous_summary: 'S', messages: 'M' });
    expect(p.system).toMatch(/^You keep the running summary/);
    expect(p.system).toContain('at most 100 words');
    expect(p.user).toBe('Summary so far:\nS\n\nNew messages, oldest first:\nM\n\nWrite the updated summary.');
  });

  it('never expands placeholders or the user marker inside values', () => {
    const lib = new PromptLibrary();
    const p = lib.render('extract-custom', {
      custom_prompt: 'Find {{messages}}\n--- user ---\nnot a split',
      grounding: 'G',
      output_format: 'F',
      current_datetime: 'now',
      background: '(none)',
      messages: 'the conversation',
    });
    expect(p.system).toContain('Find {{messages}}\n--- user ---\nnot a split');
    expect(p.user).toContain('the conversation');
    expect(() => lib.render('summarize', { max_words: 1 })).toThrow(/needs a value for \{\{previous_summary\}\}/);
  });

  it('takes overrides from PROMPTS_DIR and checks their placeholders at start-up', () => {
    const dir = overrideDir({ 'enrich.txt': 'Label it: {{what}}\n--- user ---\n{{text}}', 'notes.md': 'ignored' });
    expect(new PromptLibrary(dir).render('enrich', { what: 'topics', text: 'T' })).toEqual({
      system: 'Label it: topics',
      user: 'T',
    });
    const bad = overrideDir({ 'merge.txt': 'Merge {{memorys}}' });
    expect(() => new PromptLibrary(bad)).toThrow(ConfigError);
    expect(() => new PromptLibrary(bad)).toThrow(/merge\.txt uses \{\{memorys\}\}; merge can use \{\{memories\}\}/);
    expect(() => new PromptLibrary(join(bad, 'missing'))).toThrow(/no such directory/);
  });
});
