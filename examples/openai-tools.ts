/**
 * The OpenAI SDK with the memory tools: their schemas go in `tools`, and `resolveToolCall` executes each call the
 * model makes and answers it with the `role: "tool"` message, until the model replies in text.
 *
 *   agent-memory api &
 *   OPENAI_API_KEY=... node dist/examples/openai-tools.js
 */

import { MemoryClient, memoryTools } from 'agent-memory/client';
import OpenAI from 'openai';
import type { ChatCompletionMessageParam } from 'openai/resources/chat/completions';

const memory = new MemoryClient({
  baseUrl: process.env.AGENT_MEMORY_URL ?? 'http://127.0.0.1:8000',
  namespace: 'examples',
  userId: process.env.USER_ID ?? 'demo-user',
});
const kit = memoryTools(memory);
const openai = new OpenAI();
const model = process.env.MODEL ?? 'gpt-4o-mini';

async function ask(question: string): Promise<string> {
  const messages: ChatCompletionMessageParam[] = [
    { role: 'system', content: 'Use your memory tools: store lasting facts, search before answering.' },
    { role: 'user', content: question },
  ];
  for (let step = 0; step < 5; step++) {
    const completion = await openai.chat.completions.create({ model, messages, tools: kit.openai() });
    const message = completion.choices[0]!.message;
    messages.push(message);
    const calls = (message.tool_calls ?? []).filter((c) => c.type === 'function');
    if (!calls.length) return message.content ?? '';
    for (const call of calls) messages.push(await kit.resolveToolCall(call));
  }
  return '(no answer after 5 steps)';
}

for (const question of ['Please remember that my favourite colour is teal.', 'What is my favourite colour?']) {
  console.log(`user: ${question}`);
  console.log(`assistant: ${await ask(question)}`);
}
