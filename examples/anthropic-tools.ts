/**
 * The Anthropic SDK with the memory tools: `kit.anthropic()` gives the tool definitions, `resolveToolCall` turns
 * each `tool_use` block into the `tool_result` block that answers it.
 *
 *   agent-memory api &
 *   ANTHROPIC_API_KEY=... node dist/examples/anthropic-tools.js
 */
import Anthropic from '@anthropic-ai/sdk';
import { MemoryClient, memoryTools } from 'agent-memory/client';

const memory = new MemoryClient({
  baseUrl: process.env.AGENT_MEMORY_URL ?? 'http://127.0.0.1:8000',
  namespace: 'examples',
  userId: process.env.USER_ID ?? 'demo-user',
});
const kit = memoryTools(memory);
const anthropic = new Anthropic();
const model = process.env.MODEL ?? 'claude-sonnet-4-5';

async function ask(question: string): Promise<string> {
  const messages: Anthropic.MessageParam[] = [{ role: 'user', content: question }];
  for (let step = 0; step < 5; step++) {
    const reply = await anthropic.messages.create({
      model,
      max_tokens: 1024,
      system: 'Use your memory tools: store lasting facts, search before answering.',
      messages,
      tools: kit.anthropic(),
    });
    messages.push({ role: 'assistant', content: reply.content });
    const uses = reply.content.filter((b) => b.type === 'tool_use');
    if (!uses.length) return reply.content.map((b) => (b.type === 'text' ? b.text : '')).join('');
    messages.push({ role: 'user', content: await Promise.all(uses.map((u) => kit.resolveToolCall(u))) });
  }
  return '(no answer after 5 steps)';
}

for (const question of ['Please remember that my favourite colour is teal.', 'What is my favourite colour?']) {
  console.log(`user: ${question}`);
  console.log(`assistant: ${await ask(question)}`);
}
