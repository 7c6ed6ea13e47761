import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { GetPromptResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import type { MemoryEngine } from '../core/engine.js';
import { Identifier } from '../models/common.js';

const text = (t: string): GetPromptResult['messages'][number] => ({
  role: 'user',
  content: { type: 'text', text: t },
});

/**
 * MCP prompts a person picks in the client: `recall` (what memory holds about a topic, fetched now) and
 * `summarize_session` (a session's transcript with the request to summarize it). Both read through the caller's
 * engine, so a confined caller sees only its own memories and sessions.
 */
export function registerPrompts(
  server: McpServer,
  api: MemoryEngine,
  defaults: { namespace?: string; user_id?: string },
): void {
  server.registerPrompt(
    'recall',
    {
      title: 'Recall what memory holds about a topic',
      description: 'Searches long-term memory for the topic and puts what it finds, with ids, before the question.',
      argsSchema: { topic: z.string().trim().min(1).describe('Who or what to recall, in your own words.') },
    },
    async ({ topic }) => {
      const result = await api.memoryPrompt({
        query: `What do you remember about ${topic}?`,
        long_term_search: {
          text: topic,
          namespace: defaults.namespace ? { eq: defaults.namespace } : undefined,
          user_id: defaults.user_id ? { eq: defaults.user_id } : undefined,
          limit: 10,
        },
      });
      const found = result.long_term_memories?.memories ?? [];
      const lines = found.map((m) => `- ${m.text} (ID: ${m.id})`);
      return {
        description: `${found.length} memories about ${topic}`,
        messages: [
          text(
            found.length
              ? `Long-term memory holds this about "${topic}":\n${lines.join('\n')}\n\nUsing only what is relevant ` +
                  `above, tell me what you remember about ${topic}. Say when something may be out of date.`
              : `Long-term memory holds nothing about "${topic}". Say so, and ask me whether to remember something.`,
          ),
        ],
      };
    },
  );

  server.registerPrompt(
    'summarize_session',
    {
      title: 'Summarize a session',
      description: "Puts a session's running summary and messages before a request to summarize them.",
      argsSchema: { session_id: Identifier.describe('The session (conversation) id.') },
    },
    async ({ session_id }) => {
      const session = await api.workingMemory.get({
        session_id,
        namespace: defaults.namespace ?? null,
        user_id: defaults.user_id ?? null,
      });
      const transcript = session.messages.map((m) => `${m.role}: ${m.content}`).join('\n');
      const earlier = session.context ? `Summary of the earlier conversation:\n${session.context}\n\n` : '';
      return {
        description: `Summary request for session ${session_id} (${session.messages.length} messages)`,
        messages: [
          text(
            `${earlier}Conversation:\n${transcript || '(no messages)'}\n\nSummarize this conversation in a few ` +
              'sentences: what was decided, what is still open, and facts worth remembering, with absolute dates.',
          ),
        ],
      };
    },
  );
}
