import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, memory, startServer, type TestServer } from './helpers.js';
import { callTool, connectMcp, toolText } from './mcp-client.js';

let server: TestServer;
let url: string;
const tok: Record<string, string> = {};

beforeAll(async () => {
  server = await startServer({ AUTH_MODE: 'token', RATE_LIMIT_PER_MINUTE: '100000' });
  url = server.url;
  const add = (name: string, opts: Parameters<NonNullable<TestServer['tokens']>['add']>[0]) => {
    tok[name] = server.tokens!.add(opts).token;
  };
  add('writeA', { namespace: 'A', access: 'write' });
  add('readA', { namespace: 'A', access: 'read' });
  add('writeB', { namespace: 'B', access: 'write' });
  add('aliceA', { namespace: 'A', user_id: 'alice', access: 'write' });
  add('admin', { access: 'admin' });
  add('expired', { namespace: 'A', access: 'write', expiresInMs: 1000, now: Date.now() - 5000 });

  await call(url, 'POST', '/v1/long-term-memory', {
    token: tok.writeA,
    body: {
      memories: [
        memory('a-1', 'Alpha team ships on Fridays'),
        memory('a-alice', 'Alice likes tea', { user_id: 'alice' }),
      ],
    },
  });
  await call(url, 'POST', '/v1/long-term-memory', {
    token: tok.writeB,
    body: { memories: [memory('b-1', 'Beta team ships on Mondays')] },
  });
});
afterAll(() => server.stop());

describe('token auth on REST', () => {
  it('answers 401 with WWW-Authenticate without a token, with an unknown one, and with an expired one', async () => {
    for (const token of [undefined, 'amk_not-a-real-token', tok.expired]) {
      const res = await call(url, 'POST', '/v1/long-term-memory/search', { token, body: { text: 'ships' } });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
      expect(res.body.detail).toMatch(/Authorization|Unknown token|expired/);
    }
    const malformed = await call(url, 'GET', '/v1/stats', { headers: { Authorization: 'Basic abc' } });
    expect(malformed.status).toBe(401);
    expect(malformed.body.detail).toMatch(/Bearer/);
  });

  it('keeps health, docs and the OpenAPI document public', async () => {
    expect((await call(url, 'GET', '/v1/health')).status).toBe(200);
    expect((await call(url, 'GET', '/openapi.json')).status).toBe(200);
    expect((await fetch(`${url}/docs`)).status).toBe(200);
  });

  it('confines a request that names no namespace to the token namespace', async () => {
    const res = await call(url, 'POST', '/v1/long-term-memory/search', {
      token: tok.writeA,
      body: { text: 'team ships' },
    });
    expect(res.status).toBe(200);
    const ids = res.body.memories.map((m: { id: string }) => m.id);
    expect(ids).toContain('a-1');
    expect(ids).not.toContain('b-1');
    const stored = await call(url, 'GET', '/v1/long-term-memory/a-1', { token: tok.writeA });
    expect(stored.body.namespace).toBe('A');
    const list = await call(url, 'GET', '/v1/long-term-memory', { token: tok.writeB });
    expect(list.body.memories.map((m: { id: string }) => m.id)).toEqual(['b-1']);
  });

  it('answers 403 when a token for A names B anywhere', async () => {
    const cases: [string, string, unknown][] = [
      ['POST', '/v1/long-term-memory/search', { text: 'ships', namespace: { eq: 'B' } }],
      ['POST', '/v1/long-term-memory/search', { text: 'ships', namespace: { any: ['A', 'B'] } }],
      ['POST', '/v1/long-term-memory/search', { text: 'ships', namespace: { ne: 'A' } }],
      ['POST', '/v1/long-term-memory', { memories: [memory('x-1', 'sneaky', { namespace: 'B' })] }],
      ['PUT', '/v1/working-memory/s?x=1', { namespace: 'B', messages: [] }],
      ['PUT', '/v1/working-memory/s', { namespace: 'A', memories: [memory('m', 'hidden', { namespace: 'B' })] }],
      ['POST', '/v1/working-memory/s/messages', { namespace: 'B', messages: [{ role: 'user', content: 'hi' }] }],
      ['POST', '/v1/memory/prompt', { query: 'q', session: { session_id: 's', namespace: 'B' } }],
      ['POST', '/v1/memory/prompt', { query: 'q', long_term_search: { namespace: { eq: 'B' } } }],
      ['PATCH', '/v1/long-term-memory/a-1', { namespace: 'B' }],
    ];
    for (const [method, path, body] of cases) {
      const res = await call(url, method, path, { token: tok.writeA, body });
      expect({ path, body, status: res.status }).toEqual({ path, body, status: 403 });
      expect(res.body.detail).toMatch(/confined to namespace "A"/);
    }
    for (const path of [
      '/v1/working-memory/s?namespace=B',
      '/v1/working-memory?namespace=B',
      '/v1/long-term-memory?namespace=B',
      '/v1/stats?namespace=B',
    ]) {
      const res = await call(url, 'GET', path, { token: tok.writeA });
      expect({ path, status: res.status }).toEqual({ path, status: 403 });
    }
  });

  it('never leaks a memory of another namespace fetched by id', async () => {
    const get = await call(url, 'GET', '/v1/long-term-memory/b-1', { token: tok.writeA });
    expect(get.status).toBe(404);
    expect(get.body.detail).toBe('No long-term memory with id "b-1".');
    const patch = await call(url, 'PATCH', '/v1/long-term-memory/b-1', {
      token: tok.writeA,
      body: { text: 'overwritten' },
    });
    expect(patch.status).toBe(404);
    const del = await call(url, 'DELETE', '/v1/long-term-memory?memory_ids=b-1', { token: tok.writeA });
    expect(del.body).toEqual({ status: 'ok, deleted 0 memories' });
    const still = await call(url, 'GET', '/v1/long-term-memory/b-1', { token: tok.writeB });
    expect(still.body.text).toBe('Beta team ships on Mondays');
  });

  it('confines a user-scoped token to its user', async () => {
    const own = await call(url, 'POST', '/v1/long-term-memory/search', { token: tok.aliceA, body: { text: '' } });
    expect(own.body.memories.map((m: { id: string }) => m.id)).toEqual(['a-alice']);
    expect((await call(url, 'GET', '/v1/long-term-memory/a-1', { token: tok.aliceA })).status).toBe(404);
    const other = await call(url, 'POST', '/v1/long-term-memory/search', {
      token: tok.aliceA,
      body: { user_id: 'bob' },
    });
    expect(other.status).toBe(403);
    expect(other.body.detail).toMatch(/user_id "alice"/);
  });

  it('enforces read < write < admin', async () => {
    const search = await call(url, 'POST', '/v1/long-term-memory/search', {
      token: tok.readA,
      body: { text: 'ships' },
    });
    expect(search.status).toBe(200);
    const write = await call(url, 'POST', '/v1/long-term-memory', {
      token: tok.readA,
      body: { memories: [memory('r-1', 'nope')] },
    });
    expect(write.status).toBe(403);
    expect(write.body.detail).toMatch(/needs write access; this token has read access/);
    expect((await call(url, 'DELETE', '/v1/working-memory/s', { token: tok.readA })).status).toBe(403);

    expect((await call(url, 'GET', '/metrics', { token: tok.writeA })).status).toBe(403);
    const metrics = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${tok.admin}` } });
    expect(metrics.status).toBe(200);
    expect(await metrics.text()).toMatch(/agent_memory_long_term_memories \d+/);

    const all = await call(url, 'GET', '/v1/stats', { token: tok.admin });
    expect(all.body).toMatchObject({ namespace: null, long_term_memories: 3 });
    const ownStats = await call(url, 'GET', '/v1/stats', { token: tok.readA });
    expect(ownStats.body).toMatchObject({ namespace: 'A', long_term_memories: 2 });
    const adminB = await call(url, 'GET', '/v1/long-term-memory/b-1', { token: tok.admin });
    expect(adminB.status).toBe(200);
  });
});

describe('token auth on MCP over HTTP', () => {
  it('refuses a connection without a token or with an expired one', async () => {
    await expect(connectMcp(`${url}/mcp`, 'http')).rejects.toThrow();
    await expect(connectMcp(`${url}/mcp`, 'http', tok.expired)).rejects.toThrow();
    await expect(connectMcp(`${url}/sse`, 'sse')).rejects.toThrow();
    const res = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('refuses a namespace URL of another namespace with 403', async () => {
    const res = await fetch(`${url}/B/mcp`, {
      method: 'POST',
      headers: {
        Authorization: `Bearer ${tok.writeA}`,
        'Content-Type': 'application/json',
        Accept: 'application/json, text/event-stream',
      },
      body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: {} }),
    });
    expect(res.status).toBe(403);
    expect((await res.json()).detail).toMatch(/confined to namespace "A"/);
  });

  for (const kind of ['http', 'sse'] as const) {
    it(`confines every tool to the token namespace (${kind})`, async () => {
      const client = await connectMcp(`${url}/${kind === 'http' ? 'mcp' : 'sse'}`, kind, tok.writeA);
      try {
        const found = await callTool(client, 'search_memory', { query: 'team ships' });
        expect(found.isError).toBeFalsy();
        const ids = (found.structuredContent as { memories: { id: string }[] }).memories.map((m) => m.id);
        expect(ids).toContain('a-1');
        expect(ids).not.toContain('b-1');

        const denied = await callTool(client, 'search_memory', { query: 'ships', namespace: 'B' });
        expect(denied.isError).toBe(true);
        expect(toolText(denied)).toMatch(/confined to namespace "A"/);

        const hidden = await callTool(client, 'get_long_term_memory', { memory_id: 'b-1' });
        expect(hidden.isError).toBe(true);
        expect(toolText(hidden)).toMatch(/No long-term memory/);

        const del = await callTool(client, 'delete_long_term_memories', { memory_ids: ['b-1'] });
        expect(del.structuredContent).toMatchObject({ deleted: 0 });

        const created = await callTool(client, 'create_long_term_memories', {
          memories: [{ text: `Gamma via ${kind}` }],
        });
        expect(created.isError).toBeFalsy();
        const id = (created.structuredContent as { memories: { id: string }[] }).memories[0]!.id;
        const stored = await call(url, 'GET', `/v1/long-term-memory/${id}`, { token: tok.admin });
        expect(stored.body.namespace).toBe('A');

        const wm = await callTool(client, 'set_working_memory', {
          session_id: `s-${kind}`,
          namespace: 'B',
          messages: [],
        });
        expect(wm.isError).toBe(true);
      } finally {
        await client.close();
      }
    });
  }

  it('gives read tokens read-only tools', async () => {
    const client = await connectMcp(`${url}/A/mcp`, 'http', tok.readA);
    try {
      expect((await callTool(client, 'search_memory', { query: 'ships' })).isError).toBeFalsy();
      const write = await callTool(client, 'create_long_term_memories', { memories: [{ text: 'nope' }] });
      expect(write.isError).toBe(true);
      expect(toolText(write)).toMatch(/needs write access/);
    } finally {
      await client.close();
    }
  });

  it('does not let another token use an open session', async () => {
    const client = await connectMcp(`${url}/mcp`, 'http', tok.writeA);
    try {
      const sessionId = (client.transport as { sessionId?: string }).sessionId!;
      expect(sessionId).toBeTruthy();
      const res = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${tok.writeB}`,
          'Mcp-Session-Id': sessionId,
          'Content-Type': 'application/json',
          Accept: 'application/json, text/event-stream',
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 9, method: 'tools/list' }),
      });
      expect(res.status).toBe(404);
    } finally {
      await client.close();
    }
  });
});

describe('an id held by another namespace: usable, and nothing tells the caller it exists (found by npm run fuzz)', () => {
  const ids = (body: { memories: { id: string }[] }) => body.memories.map((m) => m.id);

  it('stores a create under the caller namespace, which sees and names it by the plain id everywhere', async () => {
    await call(url, 'POST', '/v1/long-term-memory', {
      token: tok.writeB,
      body: { memories: [memory('shared-1', 'Beta keeps the spare keys in the red drawer')] },
    });
    const create = await call(url, 'POST', '/v1/long-term-memory', {
      token: tok.writeA,
      body: { memories: [memory('shared-1', 'Alpha keeps the spare keys under the mat')] },
    });
    // The same answer as for a fresh id: nothing says that B holds "shared-1".
    expect(create.status).toBe(200);
    expect(create.body).toMatchObject({ created: 1, memories: [{ id: 'shared-1', outcome: 'created' }] });

    const a = await call(url, 'GET', '/v1/long-term-memory/shared-1', { token: tok.writeA });
    expect(a.body).toMatchObject({ id: 'shared-1', text: 'Alpha keeps the spare keys under the mat', namespace: 'A' });
    const b = await call(url, 'GET', '/v1/long-term-memory/shared-1', { token: tok.writeB });
    expect(b.body).toMatchObject({ id: 'shared-1', text: 'Beta keeps the spare keys in the red drawer' });

    const search = await call(url, 'POST', '/v1/long-term-memory/search', {
      token: tok.writeA,
      body: { text: 'spare keys' },
    });
    expect(ids(search.body)[0]).toBe('shared-1');
    expect(ids(search.body).filter((id) => id.startsWith('shared-1'))).toEqual(['shared-1']);
    const list = await call(url, 'GET', '/v1/long-term-memory', { token: tok.writeA });
    expect(ids(list.body)).toContain('shared-1');
    expect(JSON.stringify(list.body)).not.toContain('\\u001f');
    const prompt = await call(url, 'POST', '/v1/memory/prompt', {
      token: tok.writeA,
      body: { query: 'where are the spare keys?', long_term_search: { text: 'spare keys' } },
    });
    expect(JSON.stringify(prompt.body)).toContain('(ID: shared-1)');
    expect(JSON.stringify(prompt.body)).not.toContain('\\u001f');
    const history = await call(url, 'GET', '/v1/long-term-memory/shared-1/history', { token: tok.writeA });
    expect(history.body.memory_id).toBe('shared-1');
    expect(history.body.events.length).toBeGreaterThan(0);

    // An admin sees both memories as they are stored.
    const all = await call(url, 'POST', '/v1/long-term-memory/search', {
      token: tok.admin,
      body: { text: 'spare keys' },
    });
    expect(
      ids(all.body)
        .filter((id) => id.startsWith('shared-1'))
        .sort(),
    ).toEqual(['shared-1', expect.stringMatching(new RegExp(`^shared-1${String.fromCharCode(0x1f)}[0-9a-f]{12}$`))]);
  });

  it('edits and deletes the caller own memory by the plain id, never the other namespace one', async () => {
    const patch = await call(url, 'PATCH', '/v1/long-term-memory/shared-1', {
      token: tok.writeA,
      body: { text: 'Alpha moved the spare keys to the key box' },
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toMatchObject({ id: 'shared-1', text: 'Alpha moved the spare keys to the key box' });
    const again = await call(url, 'POST', '/v1/long-term-memory', {
      token: tok.writeA,
      body: { memories: [memory('shared-1', 'Alpha keeps the spare keys in the key box')] },
    });
    expect(again.status).toBe(200);
    const a = await call(url, 'GET', '/v1/long-term-memory/shared-1', { token: tok.writeA });
    expect(a.body.text).toBe('Alpha keeps the spare keys in the key box');

    const del = await call(url, 'DELETE', '/v1/long-term-memory?memory_ids=shared-1', { token: tok.writeA });
    expect(del.body).toEqual({ status: 'ok, deleted 1 memories' });
    expect((await call(url, 'GET', '/v1/long-term-memory/shared-1', { token: tok.writeA })).status).toBe(404);
    const b = await call(url, 'GET', '/v1/long-term-memory/shared-1', { token: tok.writeB });
    expect(b.body.text).toBe('Beta keeps the spare keys in the red drawer');
  });

  it('works the same over MCP', async () => {
    const client = await connectMcp(`${url}/mcp`, 'http', tok.writeA);
    try {
      const created = await callTool(client, 'create_long_term_memories', {
        memories: [{ id: 'b-1', text: 'Alpha ships on Wednesdays now' }],
      });
      expect(created.isError).toBeFalsy();
      expect(toolText(created)).not.toMatch(/taken|exists/);
      const got = await callTool(client, 'get_long_term_memory', { memory_id: 'b-1' });
      expect(got.structuredContent).toMatchObject({ id: 'b-1', text: 'Alpha ships on Wednesdays now' });
      const del = await callTool(client, 'delete_long_term_memories', { memory_ids: ['b-1'] });
      expect(del.structuredContent).toMatchObject({ deleted: 1 });
    } finally {
      await client.close();
    }
    const b = await call(url, 'GET', '/v1/long-term-memory/b-1', { token: tok.writeB });
    expect(b.body.text).toBe('Beta team ships on Mondays');
  });

  it('refuses an id with U+001F from a confined caller, naming the field', async () => {
    const res = await call(url, 'POST', '/v1/long-term-memory', {
      token: tok.writeA,
      body: { memories: [memory('x\u001fabc', 'sneaky')] },
    });
    expect(res.status).toBe(400);
    expect(res.body.detail).toMatch(/memories: an id may not contain the control character U\+001F/);
  });
});

describe("a session's structured memories never overwrite another namespace's memory (found by npm run fuzz)", () => {
  it('promotes a memory whose id another namespace holds under the session namespace', async () => {
    const put = await call(url, 'PUT', '/v1/working-memory/steal-1', {
      token: tok.writeA,
      body: { messages: [], memories: [{ id: 'b-1', text: 'Alpha notes that Beta ships on Mondays' }] },
    });
    expect(put.status).toBe(200);
    await server.engine.runBackgroundTasks();
    await expect
      .poll(async () => (await call(url, 'GET', '/v1/long-term-memory/b-1', { token: tok.writeA })).body, {
        timeout: 20_000,
      })
      .toMatchObject({ id: 'b-1', text: 'Alpha notes that Beta ships on Mondays', namespace: 'A' });
    const b = await call(url, 'GET', '/v1/long-term-memory/b-1', { token: tok.writeB });
    expect(b.body).toMatchObject({ text: 'Beta team ships on Mondays', namespace: 'B' });
  });

  it('and so does a session written past the confinement (an unconfined caller)', async () => {
    await server.engine.workingMemory.put('steal-2', {
      namespace: 'B',
      messages: [],
      memories: [
        { id: 'a-1', text: 'Beta heard that Alpha ships on Fridays', namespace: 'B' },
        { id: 'b-own', text: 'B keeps its own notes', namespace: 'B' },
      ],
    });
    await server.engine.runBackgroundTasks();
    // The server's own worker may have claimed the promotion: wait for its result, not for a fixed time.
    await expect
      .poll(async () => (await call(url, 'GET', '/v1/long-term-memory/a-1', { token: tok.writeB })).body, {
        timeout: 20_000,
      })
      .toMatchObject({ id: 'a-1', text: 'Beta heard that Alpha ships on Fridays', namespace: 'B' });
    const own = await call(url, 'GET', '/v1/long-term-memory/b-own', { token: tok.writeB });
    expect(own.body).toMatchObject({ text: 'B keeps its own notes' });
    const a = await call(url, 'GET', '/v1/long-term-memory/a-1', { token: tok.writeA });
    expect(a.body).toMatchObject({ text: 'Alpha team ships on Fridays', namespace: 'A' });
  });
});
