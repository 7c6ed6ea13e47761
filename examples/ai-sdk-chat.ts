/**
 * The Vercel AI SDK with memory: two conversations with the same user. In the first the user states a fact and
 * the model stores it with the create_long_term_memories tool; the second starts a new session, and the fact comes
 * back through memory_prompt (withMemory builds every prompt with it).
 *
 *   agent-memory api &                      # the memory server, http://127.0.0.1:8000
 *   OPENAI_API_KEY=... node dist/examples/ai-sdk-chat.js
 *
 * AGENT_MEMORY_URL, OPENAI_BASE_URL (any OpenAI-compatible server) and MODEL override the defaults.
 */
import { createOpenAI } from '@ai-sdk/openai';
import { aiSdkMemoryTools } from 'agent-memory/ai-sdk';
import { MemoryClient, splitSystem, withMemory } from 'agent-memory/client';
import { generateText, stepCountIs } from 'ai';

const memory = new MemoryClient({
  baseUrl: process.env.AGENT_MEMORY_URL ?? 'http://127.0.0.1:8000',
  namespace: 'examples',
  userId: process.env.USER_ID ?? 'demo-user',
});
const openai = createOpenAI({ baseURL: process.env.OPENAI_BASE_URL, apiKey: process.env.OPENAI_API_KEY });
const model = openai.chat(process.env.MODEL ?? 'gpt-4o-mini');
const tools = aiSdkMemoryTools(memory);

/** One conversation: every turn is prompted with memory and recorded in its own session. */
function conversation(sessionId: string) {
  return withMemory(
    memory,
    { sessionId, system: 'You are a helpful assistant. Store lasting facts about the user with your memory tools.' },
    async (messages) => {
      const { system, messages: turns } = splitSystem(messages);
      const result = await generateText({ model, system, messages: turns, tools, stopWhen: stepCountIs(5) });
      return result.text;
    },
  );
}

const run = Date.now().toString(36);
const turns: [string, string][] = [
  [`ai-sdk-${run}-1`, 'Please remember that my favourite colour is teal.'],
  [`ai-sdk-${run}-2`, 'What is my favourite colour?'],
];
for (const [index, [sessionId, message]] of turns.entries()) {
  const chat = conversation(sessionId);
  const reply = await chat(message);
  console.log(`[conversation ${index + 1}] user: ${message}`);
  console.log(`[conversation ${index + 1}] assistant: ${reply}`);
}
