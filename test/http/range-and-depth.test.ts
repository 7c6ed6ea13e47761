/**
 * Times beyond what a date can hold and JSON nested beyond any sensible depth are bad input: a 422 naming the
 * field over REST, a tool error over MCP, never a 500 or an internal message (regression, issue 11).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from './helpers.js';
import { callTool, connectMcp, toolText } from './mcp-client.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ AUTH_MODE: 'disabled' });
});
afterAll(() => server.stop());

const nested = (depth: number, leaf: unknown = 1, array = false) => {
  let v = leaf;
  for (let i = 0; i < depth; i++) v = array ? [v] : { a: v };
  return v;
};
/** Built as text: JSON.stringify itself would overflow on the deepest. */
const nestedText = (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;

describe('out-of-range times and deep JSON', () => {
  it('answer 422 naming the field over REST', async () => {
    await call(server.url, 'POST', '/v1/long-term-memory/', { body: { memories: [{ id: 'ok', text: 'fine' }] } });
    const cases: [string, string, unknown, RegExp][] = [
      ['POST', '/v1/long-term-memory/', { memories: [{ id: 'r1', text: 't', created_at: 1e20 }] }, /created_at/],
      ['POST', '/v1/long-term-memory/', { memories: [{ id: 'r2', text: 't', event_date: 1e17 }] }, /event_date/],
      [
        'POST',
        '/v1/long-term-memory/',
        { memories: [{ id: 'r3', text: 't', last_accessed: '+275760-09-13T00:00:00Z' }] },
        /last_accessed/,
      ],
      ['PATCH', '/v1/long-term-memory/ok', { event_date: 1e20 }, /event_date/],
      [
        'POST',
        '/v1/working-memory/s1/messages',
        { messages: [{ role: 'user', content: 'x', created_at: -1e20 }] },
        /created_at/,
      ],
      ['POST', '/v1/long-term-memory/search', { text: 'x', event_date: { lt: -1e20 } }, /event_date/],
      ['PUT', '/v1/working-memory/s2', { messages: [], data: nested(65) }, /data: nests deeper than 64/],
      ['PUT', '/v1/working-memory/s3', { messages: [], data: { list: nested(70, 1, true) } }, /data: nests deeper/],
    ];
    for (const [method, path, body, detail] of cases) {
      const res = await call(server.url, method, path, { body });
      expect(res.status, `${method} ${path} ${JSON.stringify(body).slice(0, 80)}`).toBe(422);
      expect(res.body.detail).toMatch(detail);
    }
    const deep = await call(server.url, 'POST', '/v1/long-term-memory/', {
      raw: `{"memories":[{"id":"r4","text":"t","metadata":${nestedText(10_000)}}]}`,
    });
    expect(deep.status).toBe(422);
    expect(deep.body.detail).toMatch(/memories\[0\]\.metadata: nests deeper than 64 levels/);
    // 64 levels are fine, and nothing above was stored.
    const ok = await call(server.url, 'PUT', '/v1/working-memory/s4', { body: { messages: [], data: nested(63) } });
    expect(ok.status).toBe(200);
    const list = await call(server.url, 'GET', '/v1/long-term-memory');
    expect(list.body.memories.map((m: { id: string }) => m.id)).toEqual(['ok']);
    expect((await call(server.url, 'GET', '/v1/long-term-memory/ok')).body.event_date).toBeNull();
  });

  it('come back as tool errors over MCP, without internals', async () => {
    const client = await connectMcp(`${server.url}/mcp`, 'http');
    try {
      const calls: [string, Record<string, unknown>][] = [
        ['create_long_term_memories', { memories: [{ text: 't', created_at: 1e20 }] }],
        ['edit_long_term_memory', { memory_id: 'ok', event_date: 1e20 }],
        ['append_messages', { session_id: 's5', messages: [{ role: 'user', content: 'x', created_at: -1e20 }] }],
        ['set_working_memory', { session_id: 's6', messages: [], data: nested(100) }],
      ];
      for (const [name, args] of calls) {
        const res = await client.callTool({ name, arguments: args }).catch((err: Error) => err);
        const text = res instanceof Error ? res.message : toolText(res as never);
        if (!(res instanceof Error)) expect((res as { isError?: boolean }).isError, name).toBe(true);
        expect(text, name).toMatch(/between the years 0000 and 9999|nests deeper than 64|created_at/);
        expect(text, name).not.toMatch(/RangeError|Invalid time value|call stack/);
      }
      expect((await callTool(client, 'get_long_term_memory', { memory_id: 'ok' })).isError).toBeFalsy();
    } finally {
      await client.close();
    }
  });
});
