import { describeZodIssues, invalid } from '../errors.js';
import type { MemoryRecordResults } from '../models/memory-record.js';
import { MemoryPromptRequest, type PromptMessage } from '../models/prompt.js';
import type { LongTermMemory } from './long-term.js';
import { contextWindowFor } from './model-windows.js';
import { countMessageTokens, countTokens } from './tokens.js';
import type { WorkingMemoryService } from './working-memory.js';

export const SUMMARY_HEADER = '## A summary of the conversation so far:';
export const MEMORIES_HEADER = "## Long term memories related to the user's query";

const text = (role: PromptMessage['role'], t: string): PromptMessage => ({ role, content: { type: 'text', text: t } });

/** A prompt speaks as user, assistant or system: tool, function and any other role speak as assistant. */
const promptRole = (role: string): PromptMessage['role'] => (role === 'user' || role === 'system' ? role : 'assistant');

export interface MemoryPromptResult {
  messages: PromptMessage[];
  long_term_memories: MemoryRecordResults | null;
  /** Session messages left out to fit the window (oldest first). */
  trimmed_messages: number;
}

/**
 * Composes a prompt as the reference server does: summary, the session's newest messages that fit the window,
 * the relevant long-term memories with their ids, then the query.
 */
export async function composeMemoryPrompt(
  raw: unknown,
  deps: { workingMemory: WorkingMemoryService; longTerm: LongTermMemory },
): Promise<MemoryPromptResult> {
  const parsed = MemoryPromptRequest.safeParse(raw);
  if (!parsed.success) throw invalid(describeZodIssues(parsed.error.issues));
  const { query, session, long_term_search } = parsed.data;

  const memories = long_term_search
    ? await deps.longTerm.search({ ...long_term_search, text: long_term_search.text || query })
    : null;
  const memoryBlock = memories?.memories.length
    ? text('system', `${MEMORIES_HEADER}\n${memories.memories.map((m) => `- ${m.text} (ID: ${m.id})`).join('\n')}`)
    : null;

  const head: PromptMessage[] = [];
  const conversation: PromptMessage[] = [];
  let trimmed = 0;
  if (session) {
    const wm = await deps.workingMemory.find(session, session.recent_messages_limit ?? undefined);
    if (wm) {
      if (wm.context) head.push(text('system', `${SUMMARY_HEADER}\n${wm.context}`));
      const window = contextWindowFor(session.model_name ?? undefined, session.context_window_max ?? undefined);
      let budget =
        window -
        countTokens(query) -
        (memoryBlock ? countTokens(memoryBlock.content.text) : 0) -
        (wm.context ? countTokens(wm.context) : 0);
      // Newest first until the budget is spent, so it is the oldest messages that are left out.
      const kept: PromptMessage[] = [];
      for (let i = wm.messages.length - 1; i >= 0; i--) {
        const m = wm.messages[i]!;
        budget -= countMessageTokens(m);
        if (budget < 0) {
          trimmed = i + 1;
          break;
        }
        kept.push(text(promptRole(m.role), m.content));
      }
      conversation.push(...kept.reverse());
      trimmed += wm.total_messages - wm.messages.length;
    }
  }
  const messages = [...head, ...conversation, ...(memoryBlock ? [memoryBlock] : []), text('user', query)];
  return { messages, long_term_memories: memories, trimmed_messages: trimmed };
}
