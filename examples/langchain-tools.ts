/**
 * LangChain.js with the memory tools: bound to a chat model, each tool call the model makes is run by the tool,
 * which answers with a ToolMessage, until the model replies in text.
 *
 *   agent-memory api &
 *   OPENAI_API_KEY=... node dist/examples/langchain-tools.js
 */
import { type BaseMessage, HumanMessage, SystemMessage } from '@langchain/core/messages';
import { ChatOpenAI } from '@langchain/openai';
import { MemoryClient } from 'agent-memory/client';
import { langchainMemoryTools } from 'agent-memory/langchain';

const memory = new MemoryClient({
  baseUrl: process.env.AGENT_MEMORY_URL ?? 'http://127.0.0.1:8000',
  namespace: 'examples',
  userId: process.env.USER_ID ?? 'demo-user',
});
const tools = langchainMemoryTools(memory);
const model = new ChatOpenAI({
  model: process.env.MODEL ?? 'gpt-4o-mini',
  configuration: { baseURL: process.env.OPENAI_BASE_URL },
}).bindTools(tools);

async function ask(question: string): Promise<string> {
  const messages: BaseMessage[] = [
    new SystemMessage('Use your memory tools: store lasting facts, search before answering.'),
    new HumanMessage(question),
  ];
  for (let step = 0; step < 5; step++) {
    const reply = await model.invoke(messages);
    messages.push(reply);
    if (!reply.tool_calls?.length) return String(reply.content);
    for (const call of reply.tool_calls) {
      const tool = tools.find((t) => t.name === call.name);
      if (tool) messages.push(await tool.invoke(call));
    }
  }
  return '(no answer after 5 steps)';
}

for (const question of ['Please remember that my favourite colour is teal.', 'What is my favourite colour?']) {
  console.log(`user: ${question}`);
  console.log(`assistant: ${await ask(question)}`);
}
