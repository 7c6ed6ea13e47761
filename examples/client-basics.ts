/**
 * The REST client without a model: append to a session (atomic, idempotent), update it without losing a
 * concurrent write (ETag / If-Match), store and search long-term memories, and page through them.
 *
 *   agent-memory api &
 *   node dist/examples/client-basics.js
 */
import { MemoryClient, MemoryNotFoundError } from 'agent-memory/client';

const memory = new MemoryClient({
  baseUrl: process.env.AGENT_MEMORY_URL ?? 'http://127.0.0.1:8000',
  namespace: 'examples',
  userId: process.env.USER_ID ?? 'demo-user',
});
const session = `basics-${Date.now().toString(36)}`;

await memory.workingMemory.append(session, [
  { role: 'user', content: 'I am planning a trip to Kyoto in April.' },
  { role: 'assistant', content: 'Lovely: cherry blossom season.' },
]);

// Read, change, write with the read's ETag: retried on the newer state if someone else wrote in between.
const updated = await memory.workingMemory.update(session, (current) => ({
  ...current,
  data: { ...current?.data, destination: 'Kyoto' },
}));
console.log(`session ${session}: ${updated.messages.length} messages, data ${JSON.stringify(updated.data)}`);

await memory.longTerm.create([
  { text: 'The user is planning a trip to Kyoto in April.', topics: ['travel'] },
  { text: 'The user prefers trains to planes.', topics: ['travel'] },
]);
const { memories } = await memory.longTerm.search({ text: 'How does the user like to travel?', limit: 1 });
console.log(`best match: ${memories[0]?.text}`);

let count = 0;
for await (const _ of memory.longTerm.iterate({ topics: ['travel'], pageSize: 1 })) count++;
console.log(`travel memories: ${count}`);

try {
  await memory.longTerm.get('no-such-memory');
} catch (err) {
  if (err instanceof MemoryNotFoundError) console.log(`missing memory: ${err.status} ${err.detail}`);
  else throw err;
}
