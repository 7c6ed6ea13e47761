import type { MemoryEngine } from '../../core/engine.js';
import type { OptimizedQuery } from '../../core/optimize-query.js';
import { MemoryError } from '../../errors.js';
import { log } from '../../util/log.js';

export interface OptimizeOptions {
  /**
   * How long `optimize_query` may wait for the rewrite before searching with the original text, so that a slow or
   * retrying model cannot push the whole request past HTTP_REQUEST_TIMEOUT_MS.
   */
  optimizeBudgetMs: number;
}

/**
 * The text to search with when a request asked for `optimize_query=true`: the fast model's rewrite, or the
 * original text when there is no model, it failed, or it did not answer within the budget. Only a refusal of the
 * caller (403) is an error; the rewrite itself never fails a search.
 */
export async function optimizedText(api: MemoryEngine, text: string, budgetMs: number): Promise<string> {
  let timer: NodeJS.Timeout | undefined;
  const rewrite = api.optimizeQuery(text);
  // The rewrite may settle after the budget ran out; its outcome is then of no interest.
  rewrite.catch(() => {});
  const late = new Promise<OptimizedQuery>((resolve) => {
    timer = setTimeout(() => resolve({ text, optimized: false, reason: `no rewrite within ${budgetMs} ms` }), budgetMs);
  });
  try {
    const result = await Promise.race([rewrite, late]);
    if (result.optimized) log.debug('optimize_query', { from: text, to: result.text });
    else log.debug('optimize_query: searching with the original text', { reason: result.reason });
    return result.text;
  } catch (err) {
    if (err instanceof MemoryError && (err.kind === 'forbidden' || err.kind === 'unauthorized')) throw err;
    log.warn('optimize_query failed; searching with the original text', {
      error: err instanceof Error ? err.message : String(err),
    });
    return text;
  } finally {
    clearTimeout(timer);
  }
}
