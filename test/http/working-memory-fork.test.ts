/** Forking a session over real HTTP (REST and MCP over Streamable HTTP), on a SQLite file. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from './helpers.js';
import { callTool, connectMcp } from './mcp-client.js';

let server: TestServer;
const contents = (body: { messages: { content: string }[] }) => body.messages.map((m) => m.content);

beforeAll(async () => {
  server = await startServer({ AUTH_MODE: 'disabled' });
  const put = await call(server.url, 'PUT', '/v1/working-memory/trip?namespace=travel', {
    body: {
      namespace: 'travel',
      user_id: 'ana',
      context: 'Planning a trip to Lisbon.',
      data: { budget: 1200 },
      ttl_seconds: 3600,
      messages: [
        { id: 'm1', role: 'user', content: 'Flights or trains?' },
        { id: 'm2', role: 'assistant', content: 'Trains are greener.' },
        { id: 'm3', role: 'user', content: 'Book the train.' },
      ],
      memories: [{ id: 'pending-1', text: 'Ana prefers trains' }],
    },
  });
  expect(put.status).toBe(200);
});
afterAll(() => server?.stop());

describe('POST /v1/working-memory/{id}/fork', () => {
  it('copies messages, summary, data and TTL into a new session, leaving the source as it was', async () => {
    const fork = await call(server.url, 'POST', '/v1/working-memory/trip/fork', {
      body: { new_session_id: 'trip-b', namespace: 'travel', user_id: 'ana' },
    });
    expect(fork.status).toBe(200);
    expect(fork.headers.get('etag')).toBe(`"${fork.body.version}"`);
    expect(fork.body).toMatchObject({
      session_id: 'trip-b',
      namespace: 'travel',
      user_id: 'ana',
      context: 'Planning a trip to Lisbon.',
      data: { budget: 1200 },
      ttl_seconds: 3600,
      memories: [],
    });
    expect(fork.body.messages.map((m: { id: string }) => m.id)).toEqual(['m1', 'm2', 'm3']);

    // The branches then diverge.
    await call(server.url, 'POST', '/v1/working-memory/trip-b/messages', {
      body: { namespace: 'travel', user_id: 'ana', messages: [{ role: 'user', content: 'Actually, fly.' }] },
    });
    const source = await call(server.url, 'GET', '/v1/working-memory/trip?namespace=travel&user_id=ana');
    expect(contents(source.body)).toEqual(['Flights or trains?', 'Trains are greener.', 'Book the train.']);
    expect(source.body.memories.map((m: { id: string }) => m.id)).toEqual(['pending-1']);
    const branch = await call(server.url, 'GET', '/v1/working-memory/trip-b?namespace=travel&user_id=ana');
    expect(contents(branch.body)).toEqual([...contents(source.body), 'Actually, fly.']);
  });

  it('forks at a message, with a generated id when none is given', async () => {
    const fork = await call(server.url, 'POST', '/v1/working-memory/trip/fork', {
      body: { at_message_id: 'm2', namespace: 'travel' },
    });
    expect(fork.status).toBe(200);
    expect(fork.body.session_id).toMatch(/^[0-9A-Z]{26}$/);
    expect(contents(fork.body)).toEqual(['Flights or trains?', 'Trains are greener.']);
  });

  it('answers 404 for an unknown source, 400 for an unknown message, 409 for a taken id, 422 for unknown fields', async () => {
    const cases: [string, unknown, number, RegExp][] = [
      ['/v1/working-memory/nope/fork', {}, 404, /No working memory/],
      ['/v1/working-memory/trip/fork', { at_message_id: 'm9' }, 400, /no message "m9"/],
      ['/v1/working-memory/trip/fork', { new_session_id: 'trip' }, 409, /already exists/],
      ['/v1/working-memory/trip/fork', { new_id: 'x' }, 422, /new_id/],
    ];
    for (const [path, body, status, detail] of cases) {
      const r = await call(server.url, 'POST', path, { body });
      expect(r.status, JSON.stringify(body)).toBe(status);
      expect(r.body.detail).toMatch(detail);
    }
    // The refused fork onto "trip" left it alone.
    const source = await call(server.url, 'GET', '/v1/working-memory/trip');
    expect(contents(source.body)).toHaveLength(3);
  });
});

describe('fork_working_memory over MCP', () => {
  it('branches a session for the agent', async () => {
    const client = await connectMcp(`${server.url}/mcp`, 'http');
    try {
      const res = await callTool(client, 'fork_working_memory', {
        session_id: 'trip',
        namespace: 'travel',
        user_id: 'ana',
        new_session_id: 'trip-mcp',
        at_message_id: 'm1',
      });
      expect(res.isError).toBeFalsy();
      expect(res.structuredContent).toMatchObject({ session_id: 'trip-mcp', messages: [{ id: 'm1' }] });
      const again = await callTool(client, 'fork_working_memory', { session_id: 'trip', new_session_id: 'trip-mcp' });
      expect(again.isError).toBe(true);
    } finally {
      await client.close();
    }
  });
});
