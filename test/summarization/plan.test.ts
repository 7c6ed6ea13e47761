import { describe, expect, it } from 'vitest';
import { planSummarization, summaryBudget } from '../../src/core/summary-plan.js';
import { countMessageTokens } from '../../src/core/tokens.js';
import type { MemoryMessage } from '../../src/models/message.js';

const policy = { enabled: true, threshold: 0.7, keep: 0.4 };
const msg = (i: number, words = 20): MemoryMessage => ({
  id: `m${i}`,
  role: 'user',
  content: Array.from({ length: words }, (_, k) => `word${(i + k) % 7}`).join(' '),
  created_at: new Date(0).toISOString(),
  persisted_at: null,
  discrete_memory_extracted: 'f',
});

describe('where summarization cuts', () => {
  it('does nothing under threshold × window', () => {
    expect(planSummarization([msg(1), msg(2)], null, 1000, policy)).toBeNull();
  });

  it('keeps the newest whole messages that fit keep × window and folds the rest, in order', () => {
    const messages = Array.from({ length: 100 }, (_, i) => msg(i));
    const plan = planSummarization(messages, 'earlier', 1000, policy)!;
    const kept = plan.keep.reduce((n, m) => n + countMessageTokens(m), 0);
    expect(kept).toBeLessThanOrEqual(400);
    expect(kept + countMessageTokens(plan.fold.at(-1)!)).toBeGreaterThan(400);
    expect([...plan.fold, ...plan.keep]).toEqual(messages);
    expect(plan.summaryTokens).toBe(summaryBudget(1000, policy));
    expect(plan.summaryTokens).toBe(200);
  });

  it('condenses a summary that alone overflows, with nothing to fold', () => {
    const plan = planSummarization([msg(1)], 'long summary '.repeat(400), 1000, policy)!;
    expect(plan.fold).toEqual([]);
    expect(plan.keep).toHaveLength(1);
  });
});
