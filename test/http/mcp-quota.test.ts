/**
 * One token opening MCP sessions without end cannot take the pool from the others (regression, issue 11): each
 * caller holds at most MCP_MAX_SESSIONS_PER_CALLER sessions, and is told how to free them.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServer, type TestServer } from './helpers.js';
import { callTool, connectMcp } from './mcp-client.js';

let server: TestServer;
const tok: Record<string, string> = {};
beforeAll(async () => {
  server = await startServer({
    AUTH_MODE: 'token',
    RATE_LIMIT_PER_MINUTE: '100000',
    MCP_MAX_SESSIONS: '8',
    MCP_MAX_SESSIONS_PER_CALLER: '3',
  });
  tok.greedy = server.tokens!.add({ namespace: 'A', access: 'read' }).token;
  tok.other = server.tokens!.add({ namespace: 'B', access: 'write' }).token;
});
afterAll(() => server.stop());

const initialize = (token: string, path = '/mcp') =>
  fetch(server.url + path, {
    method: 'POST',
    headers: {
      Authorization: `Bearer ${token}`,
      'Content-Type': 'application/json',
      Accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'greedy', version: '0' } },
    }),
  });

describe('MCP sessions per caller', () => {
  it("refuses a caller's session beyond its share with 429 and a way out, while other callers still connect", async () => {
    const opened: string[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await initialize(tok.greedy!);
      expect(res.status).toBe(200);
      opened.push(res.headers.get('mcp-session-id')!);
      await res.body?.cancel();
    }
    const refused = await initialize(tok.greedy!);
    expect(refused.status).toBe(429);
    const body = (await refused.json()) as { error: { message: string } };
    expect(body.error.message).toMatch(/MCP_MAX_SESSIONS_PER_CALLER=3/);
    expect(body.error.message).toMatch(/DELETE \/mcp/);
    // Legacy SSE counts against the same share.
    const sse = await fetch(`${server.url}/sse`, { headers: { Authorization: `Bearer ${tok.greedy}` } });
    expect(sse.status).toBe(429);

    const client = await connectMcp(`${server.url}/mcp`, 'http', tok.other);
    try {
      expect((await callTool(client, 'get_current_datetime', {})).isError).toBeFalsy();
    } finally {
      await client.close();
    }

    // Closing one of its sessions gives the caller its slot back.
    const closed = await fetch(`${server.url}/mcp`, {
      method: 'DELETE',
      headers: {
        Authorization: `Bearer ${tok.greedy}`,
        'Mcp-Session-Id': opened[0]!,
        'Mcp-Protocol-Version': '2025-06-18',
      },
    });
    expect(closed.status).toBe(200);
    const again = await initialize(tok.greedy!);
    expect(again.status).toBe(200);
    await again.body?.cancel();
  });
});
