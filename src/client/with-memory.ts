import { z } from 'zod';
import { Identifier } from '../models/common.js';
import type { MemoryClient } from './client.js';
import type { MemoryRecordResult, SearchQuery } from './types.js';

/** One chat message as the OpenAI, Anthropic (see `splitSystem`), AI SDK and LangChain APIs all take it. */
export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

const WithMemoryOptions = z.strictObject({
  sessionId: Identifier.describe('The conversation: its turns are appended to this working-memory session.'),
  userId: Identifier.optional().describe("Whose memories (default: the client's userId)."),
  namespace: Identifier.optional().describe("Default: the client's namespace."),
  system: z.string().min(1).optional().describe('Your system prompt, put first in every prompt.'),
  modelName: z.string().min(1).optional().describe('The model, whose context window bounds the session part.'),
  contextWindowMax: z.number().int().positive().optional(),
  maxMessages: z.number().int().positive().optional().describe('Cap of the session; older turns are summarized.'),
  longTermSearch: z
    .union([z.literal(false), z.record(z.string(), z.unknown())])
    .optional()
    .describe("Filters of each turn's long-term search (default: the user's memories, 5 of them); false: none."),
});
export type WithMemoryOptions = Omit<z.input<typeof WithMemoryOptions>, 'longTermSearch'> & {
  longTermSearch?: false | SearchQuery;
};

/** What the model call receives besides the messages. */
export interface TurnContext {
  sessionId: string;
  /** The user's message of this turn. */
  query: string;
  /** The long-term memories the prompt holds (also in the messages, as a system message). */
  memories: MemoryRecordResult[];
}

export type Generate = (messages: ChatMessage[], turn: TurnContext) => Promise<string | { text: string }>;

export interface MemoryChat {
  /** One turn: builds the prompt with memory, calls the model, records both messages; resolves with the reply. */
  (userMessage: string): Promise<string>;
  readonly sessionId: string;
  /** The prompt of a turn, without calling the model or recording anything. */
  prompt(userMessage: string): Promise<{ messages: ChatMessage[]; memories: MemoryRecordResult[] }>;
  /** Records a turn made elsewhere (both messages in one atomic append). */
  record(userMessage: string, reply: string): Promise<void>;
}

/**
 * A chat loop with memory. Before each model call the prompt is built by the server's memory_prompt (your system
 * prompt, the session's summary and recent turns fitted to the model's window, the long-term memories relevant to
 * the message, then the message); after it, the user's message and the reply are appended to working memory. A
 * turn whose model call fails records nothing, so a retry does not leave half a turn behind.
 *
 * ```ts
 * const chat = withMemory(client, { sessionId: 'chat-1', userId: 'alice' }, async (messages) =>
 *   (await generateText({ model, messages })).text);
 * await chat('I moved to Lisbon last week');
 * ```
 */
export function withMemory(client: MemoryClient, options: WithMemoryOptions, generate: Generate): MemoryChat {
  const parsed = WithMemoryOptions.safeParse(options);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new TypeError(`withMemory options: ${issue?.path.join('.') || 'options'}: ${issue?.message}`);
  }
  const o = parsed.data;
  const memory =
    o.userId !== undefined || o.namespace !== undefined
      ? client.withScope({ userId: o.userId, namespace: o.namespace })
      : client;
  const window = { model_name: o.modelName, context_window_max: o.contextWindowMax };
  const search = options.longTermSearch;

  const prompt = async (userMessage: string) => {
    const res = await memory.memoryPrompt({
      query: userMessage,
      session: { session_id: o.sessionId, ...window },
      long_term_search: search === false ? undefined : { limit: 5, ...search },
    });
    const messages: ChatMessage[] = res.messages.map((m) => ({ role: m.role, content: m.content.text }));
    if (o.system) messages.unshift({ role: 'system', content: o.system });
    return { messages, memories: res.long_term_memories ?? [] };
  };

  const record = async (userMessage: string, reply: string) => {
    await memory.workingMemory.append(
      o.sessionId,
      [
        { role: 'user', content: userMessage },
        { role: 'assistant', content: reply },
      ],
      { ...window, max_messages: o.maxMessages },
    );
  };

  const chat = async (userMessage: string) => {
    if (!userMessage.trim()) throw new TypeError('withMemory: the message is empty');
    const { messages, memories } = await prompt(userMessage);
    const out = await generate(messages, { sessionId: o.sessionId, query: userMessage, memories });
    const reply = typeof out === 'string' ? out : out.text;
    // An empty reply (a model that only called tools) is not a message the store can keep.
    await record(userMessage, reply.trim() ? reply : '(no reply)');
    return reply;
  };
  return Object.assign(chat, { sessionId: o.sessionId, prompt, record });
}

/** Anthropic takes the system prompt beside the messages: this splits it out (system messages joined). */
export function splitSystem(messages: readonly ChatMessage[]): {
  system: string;
  messages: { role: 'user' | 'assistant'; content: string }[];
} {
  const system = messages
    .filter((m) => m.role === 'system')
    .map((m) => m.content)
    .join('\n\n');
  const rest = messages.filter((m): m is ChatMessage & { role: 'user' | 'assistant' } => m.role !== 'system');
  return { system, messages: rest };
}
