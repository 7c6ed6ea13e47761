import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';
import { contextWindowFor, setModelContextWindows } from '../../src/core/model-windows.js';

afterEach(() => setModelContextWindows({}));

describe('LLM settings', () => {
  it('has the reference defaults', () => {
    const c = loadConfig({});
    expect(c.features.summarization).toEqual({ enabled: true, threshold: 0.7, keep: 0.4 });
    expect(c.features.extraction).toMatchObject({ debounceSeconds: 30, longTermMemory: true, discrete: true });
    expect(c.features.dedup).toEqual({ distance: 0.35, compactionDistance: 0.2, compactionEveryMinutes: 10 });
    expect(c.llm).toMatchObject({ generation: { provider: 'openai', model: 'gpt-4o' }, concurrency: 4 });
  });

  it('names the variable and what it accepts when a value is bad', () => {
    expect(() => loadConfig({ MODEL_CONTEXT_WINDOWS: '{my-model: 3}' })).toThrow(
      /MODEL_CONTEXT_WINDOWS=.*expected JSON such as \{"my-model": 32000\}/,
    );
    expect(() => loadConfig({ MODEL_CONTEXT_WINDOWS: '{"m": -3}' })).toThrow(/MODEL_CONTEXT_WINDOWS/);
    expect(() => loadConfig({ SUMMARIZATION_THRESHOLD: '1.5' })).toThrow(/SUMMARIZATION_THRESHOLD=.*at most 1/);
    expect(() => loadConfig({ DEDUPLICATION_DISTANCE_THRESHOLD: 'near' })).toThrow(/cosine distance/);
    expect(() => loadConfig({ GENERATION_PROVIDER: 'gemini' })).toThrow(/expected 'openai' or 'anthropic'/);
    expect(() => loadConfig({ SUMMARIZATION_KEEP: '0.8' })).toThrow(ConfigError);
    expect(() => loadConfig({ SUMMARIZATION_KEEP: '0.8' })).toThrow(/must be below SUMMARIZATION_THRESHOLD/);
  });

  it('MODEL_CONTEXT_WINDOWS wins over the table, by longest prefix, with router prefixes', () => {
    setModelContextWindows(
      loadConfig({ MODEL_CONTEXT_WINDOWS: '{"my-model": 32000, "gpt-4o": 64000}' }).llm.contextWindows,
    );
    expect(contextWindowFor('my-model-v2')).toBe(32_000);
    expect(contextWindowFor('openrouter/my-model')).toBe(32_000);
    expect(contextWindowFor('gpt-4o-mini')).toBe(64_000);
    expect(contextWindowFor('gpt-3.5-turbo')).toBe(4096);
    expect(contextWindowFor('my-model', 1000)).toBe(1000);
    setModelContextWindows({});
    expect(contextWindowFor('my-model')).toBe(16_000);
  });
});
