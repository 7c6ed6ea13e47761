import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, memory, startServer, type TestServer } from './helpers.js';
import { callTool, connectMcp, toolText } from './mcp-client.js';

let server: TestServer;
let url: string;
const tok: Record<string, string> = {};

beforeAll(async () => {
  server = await startServer({
    AUTH_MODE: 'token',
    RATE_LIMIT_PER_MINUTE: '100000',
    QUOTA_MEMORIES_PER_NAMESPACE: '3',
    QUOTA_SESSIONS_PER_NAMESPACE: '2',
    QUOTA_MESSAGES_PER_NAMESPACE: '4',
  });
  url = server.url;
  tok.a = server.tokens!.add({ namespace: 'A', access: 'write' }).token;
  tok.b = server.tokens!.add({ namespace: 'B', access: 'write' }).token;
  tok.admin = server.tokens!.add({ access: 'admin' }).token;
});
afterAll(() => server.stop());

const create = (token: string, ...ids: string[]) =>
  call(url, 'POST', '/v1/long-term-memory', {
    token,
    body: { memories: ids.map((id) => memory(id, `Note ${id} about the garden`)) },
  });
const messages = (n: number, tag: string) =>
  Array.from({ length: n }, (_, i) => ({ id: `${tag}-${i}`, role: 'user', content: `message ${tag} ${i}` }));

describe('per-namespace quotas for confined callers', () => {
  it('refuses memories past the quota with a 403 naming the setting; other namespaces are not affected', async () => {
    expect((await create(tok.a!, 'a1', 'a2', 'a3')).status).toBe(200);
    const over = await create(tok.a!, 'a4');
    expect(over.status).toBe(403);
    expect(over.body.detail).toBe(
      'Namespace "A" holds 3 long-term memories, its quota (QUOTA_MEMORIES_PER_NAMESPACE=3): delete some, or ask the operator for a larger quota.',
    );
    // A full namespace cannot stop another token's writes, nor an unconfined admin's.
    expect((await create(tok.b!, 'b1', 'b2')).status).toBe(200);
    const admin = await call(url, 'POST', '/v1/long-term-memory', {
      token: tok.admin,
      body: { memories: [memory('adm-1', 'Admin note', { namespace: 'A' })] },
    });
    expect(admin.status).toBe(200);
  });

  it('still lets a full namespace update what it has, and frees room on delete', async () => {
    expect((await create(tok.a!, 'a1')).status).toBe(200);
    const del = await call(url, 'DELETE', '/v1/long-term-memory?memory_ids=a1&memory_ids=adm-1', { token: tok.a });
    expect(del.body).toEqual({ status: 'ok, deleted 2 memories' });
    expect((await create(tok.a!, 'a5')).status).toBe(200);
    expect((await create(tok.a!, 'a6')).status).toBe(403);
  });

  it('counts sessions and messages, over REST and MCP', async () => {
    const put = (id: string, n: number) =>
      call(url, 'PUT', `/v1/working-memory/${id}`, { token: tok.a, body: { messages: messages(n, id) } });
    expect((await put('s1', 2)).status).toBe(200);
    expect((await put('s2', 1)).status).toBe(200);
    const third = await put('s3', 0);
    expect(third.status).toBe(403);
    expect(third.body.detail).toMatch(/holds 2 working-memory sessions, its quota \(QUOTA_SESSIONS_PER_NAMESPACE=2\)/);
    // An existing session can always be written.
    expect((await put('s1', 2)).status).toBe(200);
    const append = await call(url, 'POST', '/v1/working-memory/s2/messages', {
      token: tok.a,
      body: { messages: messages(1, 's2b') },
    });
    expect(append.status).toBe(200);
    const client = await connectMcp(`${url}/mcp`, 'http', tok.a);
    try {
      const full = await callTool(client, 'append_messages', {
        session_id: 's2',
        messages: [{ role: 'user', content: 'one more' }],
      });
      expect(full.isError).toBe(true);
      expect(toolText(full)).toMatch(/holds 4 working-memory messages, its quota \(QUOTA_MESSAGES_PER_NAMESPACE=4\)/);
    } finally {
      await client.close();
    }
    const b = await call(url, 'PUT', '/v1/working-memory/s3', { token: tok.b, body: { messages: messages(3, 'b') } });
    expect(b.status).toBe(200);
  });
});
