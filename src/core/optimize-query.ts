import { z } from 'zod';
import type { ChatModel } from '../llm/chat-model.js';
import { completeJson } from '../llm/json-reply.js';
import type { PromptLibrary } from '../llm/prompts.js';
import { log } from '../util/log.js';

export interface OptimizedQuery {
  text: string;
  optimized: boolean;
  /** Why the query was left as it was. */
  reason?: string;
}

const RewriteReply = z.object({ query: z.string() });

/**
 * Rewrites a conversational question into a search query with the fast model (`optimize_query`, off by default).
 * Any failure falls back to the original text: a search must not fail because an optional rewrite did.
 */
export async function optimizeQuery(
  chat: ChatModel | null,
  prompts: PromptLibrary,
  text: string,
): Promise<OptimizedQuery> {
  if (!chat) return { text, optimized: false, reason: 'query optimization is unavailable: no LLM is configured' };
  if (!text.trim()) return { text, optimized: false, reason: 'empty query' };
  try {
    const prompt = prompts.render('rewrite-query', { query: text });
    const reply = await completeJson(
      chat,
      {
        system: prompt.system,
        messages: [{ role: 'user', content: prompt.user }],
        maxTokens: 200,
        purpose: 'rewrite-query',
      },
      RewriteReply,
    );
    const rewritten = reply.query.trim();
    return rewritten ? { text: rewritten, optimized: true } : { text, optimized: false, reason: 'empty rewrite' };
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    log.warn('query optimization failed; searching with the original query', { error: reason });
    return { text, optimized: false, reason };
  }
}
