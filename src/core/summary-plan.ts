import type { MemoryMessage } from '../models/message.js';
import { countMessageTokens, countTokens } from './tokens.js';

/** The reference server's numbers: summarize above 0.7 × window, keep the newest messages fitting 0.4 × window. */
export interface SummarizationPolicy {
  enabled: boolean;
  threshold: number;
  keep: number;
}

export interface SummaryPlan {
  /** Older messages, oldest first: folded into the summary (or archived without one). */
  fold: MemoryMessage[];
  /** The newest messages that fit the keep budget, oldest first. */
  keep: MemoryMessage[];
  /** The most tokens the new summary may take so that summary plus kept messages stay under the threshold. */
  summaryTokens: number;
}

/**
 * Summary budget: two thirds of the gap between the threshold and the kept messages (0.2 × window with the
 * defaults), so that the next write does not summarize again at once. Never below 64 tokens: a summary of a tiny
 * window still needs room for a sentence.
 */
export const summaryBudget = (window: number, p: SummarizationPolicy) =>
  // The epsilon absorbs float error: (0.7 - 0.4) × 1000 × 2 / 3 is 199.99999...
  Math.max(64, Math.floor(((p.threshold - p.keep) * window * 2) / 3 + 1e-6));

/**
 * Decides whether a session needs summarizing and where to cut. Null when it fits under threshold × window.
 * Messages are kept whole, newest first, while they fit keep × window; everything older is folded. A summary that
 * alone overflows is condensed even when no message needs folding.
 */
export function planSummarization(
  messages: MemoryMessage[],
  context: string | null,
  window: number,
  p: SummarizationPolicy,
): SummaryPlan | null {
  const contextTokens = context ? countTokens(context) : 0;
  const perMessage = messages.map(countMessageTokens);
  const total = contextTokens + perMessage.reduce((a, b) => a + b, 0);
  if (total <= p.threshold * window) return null;
  const keepBudget = Math.floor(p.keep * window);
  let used = 0;
  let cut = messages.length;
  while (cut > 0 && used + perMessage[cut - 1]! <= keepBudget) {
    used += perMessage[cut - 1]!;
    cut--;
  }
  return { fold: messages.slice(0, cut), keep: messages.slice(cut), summaryTokens: summaryBudget(window, p) };
}
