/**
 * MCP resources (sessions and memories as memory:// URIs, with change notifications) and prompts, through the SDK
 * client over Streamable HTTP and SSE against a real server on a SQLite file; writes come in over REST.
 */
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  ResourceListChangedNotificationSchema,
  ResourceUpdatedNotificationSchema,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, memory, startServer, type TestServer } from './helpers.js';
import { connectMcp } from './mcp-client.js';

let server: TestServer;

beforeAll(async () => {
  server = await startServer({ AUTH_MODE: 'disabled' });
  await call(server.url, 'POST', '/v1/long-term-memory', {
    body: { memories: [memory('res-1', 'Priya keeps bees on the roof of her flat in Leeds')] },
  });
  await call(server.url, 'PUT', '/v1/working-memory/res-session', {
    body: {
      context: 'Earlier: talked about honey.',
      messages: [
        { id: 'r1', role: 'user', content: 'How many hives should I keep?' },
        { id: 'r2', role: 'assistant', content: 'Two is a good start.' },
      ],
    },
  });
});
afterAll(() => server?.stop());

/** Resolves with the first notification of `schema` that `match` accepts. */
function next<T>(client: Client, schema: Parameters<Client['setNotificationHandler']>[0], match: (n: T) => boolean) {
  return new Promise<T>((resolve) => {
    client.setNotificationHandler(schema, (n) => {
      if (match(n as T)) resolve(n as T);
    });
  });
}

for (const kind of ['http', 'sse'] as const) {
  describe(`MCP resources and prompts over ${kind === 'http' ? 'Streamable HTTP' : 'SSE'}`, () => {
    let client: Client;
    beforeAll(async () => {
      client = await connectMcp(`${server.url}/${kind === 'http' ? 'mcp' : 'sse'}`, kind);
    });
    afterAll(() => client?.close());

    it('lists sessions and memories as memory:// resources, and reads them as JSON', async () => {
      const caps = client.getServerCapabilities();
      expect(caps?.resources).toMatchObject({ subscribe: true, listChanged: true });
      const { resourceTemplates } = await client.listResourceTemplates();
      expect(resourceTemplates.map((t) => t.uriTemplate).sort()).toEqual([
        'memory://memories/{memory_id}',
        'memory://sessions/{session_id}',
      ]);
      const { resources } = await client.listResources();
      const uris = resources.map((r) => r.uri);
      expect(uris).toContain('memory://sessions/res-session');
      expect(uris).toContain('memory://memories/res-1');

      const session = await client.readResource({ uri: 'memory://sessions/res-session' });
      const wm = JSON.parse((session.contents[0] as { text: string }).text);
      expect(wm.messages.map((m: { id: string }) => m.id).slice(0, 2)).toEqual(['r1', 'r2']);
      const mem = await client.readResource({ uri: 'memory://memories/res-1' });
      expect(JSON.parse((mem.contents[0] as { text: string }).text).text).toMatch(/keeps bees/);
      await expect(client.readResource({ uri: 'memory://memories/no-such' })).rejects.toThrow(/No long-term memory/);
    });

    it('announces new memories (list changed) and changes to a subscribed session (updated)', async () => {
      const listChanged = next(client, ResourceListChangedNotificationSchema, () => true);
      await call(server.url, 'POST', '/v1/long-term-memory', {
        body: { memories: [memory(`res-new-${kind}`, `The allotment over ${kind} is plot 14`)] },
      });
      await listChanged;
      expect((await client.listResources()).resources.map((r) => r.uri)).toContain(`memory://memories/res-new-${kind}`);

      const uri = 'memory://sessions/res-session';
      await client.subscribeResource({ uri });
      const updated = next<{ params: { uri: string } }>(
        client,
        ResourceUpdatedNotificationSchema,
        (n) => n.params.uri === uri,
      );
      await call(server.url, 'POST', '/v1/working-memory/res-session/messages', {
        body: { messages: [{ role: 'user', content: `And a third hive (${kind})?` }] },
      });
      expect((await updated).params.uri).toBe(uri);
      await client.unsubscribeResource({ uri });
    });

    it('offers recall and summarize_session prompts filled from memory', async () => {
      const { prompts } = await client.listPrompts();
      expect(prompts.map((p) => p.name).sort()).toEqual(['recall', 'summarize_session']);
      const recall = await client.getPrompt({ name: 'recall', arguments: { topic: 'bees' } });
      const recallText = (recall.messages[0]!.content as { text: string }).text;
      expect(recallText).toMatch(/Priya keeps bees on the roof of her flat in Leeds \(ID: res-1\)/);
      const summary = await client.getPrompt({ name: 'summarize_session', arguments: { session_id: 'res-session' } });
      const summaryText = (summary.messages[0]!.content as { text: string }).text;
      expect(summaryText).toMatch(/Earlier: talked about honey\./);
      expect(summaryText).toMatch(/user: How many hives should I keep\?\nassistant: Two is a good start\./);
      await expect(client.getPrompt({ name: 'summarize_session', arguments: { session_id: 'nope' } })).rejects.toThrow(
        /No working memory/,
      );
    });
  });
}
