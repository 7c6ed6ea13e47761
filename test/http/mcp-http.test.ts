import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/version.js';
import { call, memory, startServer, type TestServer } from './helpers.js';
import { callTool, connectMcp } from './mcp-client.js';

const run = promisify(execFile);
const INSPECTOR = join(PACKAGE_ROOT, 'node_modules', '.bin', 'mcp-inspector');

let server: TestServer;
let url: string;

beforeAll(async () => {
  server = await startServer();
  url = server.url;
  await call(url, 'POST', '/v1/long-term-memory', {
    body: {
      memories: [
        memory('n-1', 'The north office opens at eight', { namespace: 'north' }),
        memory('s-1', 'The south office opens at nine', { namespace: 'south' }),
      ],
    },
  });
});
afterAll(() => server.stop());

const ids = (r: { structuredContent?: unknown }) =>
  (r.structuredContent as { memories: { id: string }[] }).memories.map((m) => m.id).sort();

describe('MCP over HTTP with the SDK client', () => {
  for (const kind of ['http', 'sse'] as const) {
    const endpoint = kind === 'http' ? 'mcp' : 'sse';

    it(`lists the tools and searches over ${kind === 'http' ? 'Streamable HTTP' : 'SSE'}`, async () => {
      const client = await connectMcp(`${url}/${endpoint}`, kind);
      try {
        const { tools } = await client.listTools();
        expect(tools.map((t) => t.name)).toEqual(
          expect.arrayContaining(['search_memory', 'create_long_term_memories', 'memory_prompt', 'get_working_memory']),
        );
        const res = await callTool(client, 'search_memory', { query: 'office opens' });
        expect(ids(res)).toEqual(expect.arrayContaining(['n-1', 's-1']));
      } finally {
        await client.close();
      }
    });

    it(`makes the namespace in the URL the default (${kind})`, async () => {
      const client = await connectMcp(`${url}/north/${endpoint}`, kind);
      try {
        const own = ids(await callTool(client, 'search_memory', { query: 'office opens' }));
        expect(own).toContain('n-1');
        expect(own).not.toContain('s-1');
        // An explicit namespace still wins: the URL only sets the default.
        expect(ids(await callTool(client, 'search_memory', { query: 'office opens', namespace: 'south' }))).toEqual([
          's-1',
        ]);
        const created = await callTool(client, 'create_long_term_memories', {
          memories: [{ text: `Created over ${kind}` }],
        });
        const id = (created.structuredContent as { memories: { id: string }[] }).memories[0]!.id;
        expect((await call(url, 'GET', `/v1/long-term-memory/${id}`)).body.namespace).toBe('north');
      } finally {
        await client.close();
      }
    });
  }

  it('keeps a Streamable HTTP session until DELETE, and counts tool calls in /metrics', async () => {
    const client = await connectMcp(`${url}/mcp`, 'http');
    const transport = client.transport as StreamableHTTPClientTransport;
    const before = server.http.mcp.openSessions;
    await callTool(client, 'get_current_datetime', {});
    await transport.terminateSession();
    expect(server.http.mcp.openSessions).toBe(before - 1);
    await client.close();
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(/agent_memory_mcp_tool_calls_total\{tool="get_current_datetime",outcome="ok"\} \d+/);
    expect(metrics).toMatch(/agent_memory_http_requests_total\{method="POST",route="\/mcp",status="200"\} \d+/);
  });

  it('answers an unknown session id with 404', async () => {
    const res = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
        'Mcp-Session-Id': 'nope',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
    });
    expect(res.status).toBe(404);
    expect((await res.json()).error.message).toMatch(/Session not found/);
    const sse = await call(url, 'POST', '/messages?sessionId=nope', {
      body: { jsonrpc: '2.0', id: 1, method: 'tools/list' },
    });
    expect(sse.status).toBe(404);
    expect(sse.body.detail).toMatch(/sessionId/);
  });
});

describe('set_working_memory expected_version over MCP', () => {
  it('writes at the expected version, and reports the stored one when it has moved on', async () => {
    const client = await connectMcp(`${url}/mcp`, 'http');
    try {
      const args = { session_id: 'mcp-versions', messages: [{ role: 'user', content: 'hello' }] };
      const created = await callTool(client, 'set_working_memory', { ...args, expected_version: 0 });
      expect(created.isError).toBeFalsy();
      const v = (created.structuredContent as { version: number }).version;
      const next = await callTool(client, 'set_working_memory', { ...args, expected_version: v });
      expect((next.structuredContent as { version: number }).version).toBe(v + 1);
      const stale = await callTool(client, 'set_working_memory', { ...args, expected_version: v });
      expect(stale.isError).toBe(true);
      expect(JSON.stringify(stale.content)).toContain(`is at version ${v + 1}, but version ${v} was expected`);
      const both = await callTool(client, 'set_working_memory', { ...args, expected_version: v + 1, version: v });
      expect(both.isError).toBe(true);
      expect(JSON.stringify(both.content)).toMatch(/differ/);
    } finally {
      await client.close();
    }
  });
});

describe('max_messages over MCP', () => {
  it('caps the session on set_working_memory and append_messages', async () => {
    const client = await connectMcp(`${url}/mcp`, 'http');
    try {
      const messages = ['a', 'b', 'c', 'd'].map((content) => ({ role: 'user', content }));
      const set = await callTool(client, 'set_working_memory', { session_id: 'mcp-cap', messages, max_messages: 2 });
      expect(set.structuredContent).toMatchObject({ total_messages: 2, summarization: { trimmed_messages: 2 } });
      const appended = await callTool(client, 'append_messages', {
        session_id: 'mcp-cap',
        messages: [{ role: 'user', content: 'e' }],
        max_messages: 1,
      });
      expect(appended.structuredContent).toMatchObject({ total_messages: 1 });
    } finally {
      await client.close();
    }
  });
});

describe('stateless Streamable HTTP (MCP_STATELESS=true)', () => {
  let stateless: TestServer;
  beforeAll(async () => {
    stateless = await startServer({ MCP_STATELESS: 'true' });
  });
  afterAll(() => stateless.stop());

  it('serves each request with a fresh server and no session id', async () => {
    const client = await connectMcp(`${stateless.url}/mcp`, 'http');
    try {
      expect((client.transport as { sessionId?: string }).sessionId).toBeUndefined();
      expect((await client.listTools()).tools.length).toBeGreaterThan(5);
      const res = await callTool(client, 'get_current_datetime', {});
      expect(res.isError).toBeFalsy();
      expect(stateless.http.mcp.openSessions).toBe(0);
    } finally {
      await client.close();
    }
  });
});

describe('MCP Inspector CLI', () => {
  const inspect = async (target: string, transport: string, ...args: string[]) => {
    const { stdout } = await run(INSPECTOR, ['--cli', target, '--transport', transport, ...args], { timeout: 60_000 });
    return JSON.parse(stdout);
  };

  for (const [path, transport] of [
    ['/mcp', 'http'],
    ['/sse', 'sse'],
  ] as const) {
    it(`lists the tools and calls search_memory on ${path}`, async () => {
      const listed = await inspect(`${url}${path}`, transport, '--method', 'tools/list');
      expect(listed.tools.map((t: { name: string }) => t.name)).toContain('search_memory');
      const called = await inspect(
        `${url}${path}`,
        transport,
        '--method',
        'tools/call',
        '--tool-name',
        'search_memory',
        '--tool-arg',
        'query=north office',
      );
      expect(called.isError).toBeFalsy();
      expect(called.structuredContent.memories[0].id).toBe('n-1');
    });
  }
});
