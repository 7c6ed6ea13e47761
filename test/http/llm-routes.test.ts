/**
 * The LLM-feature routes on a server with no LLM configured, with token auth: compaction (exact duplicates only),
 * background tasks by id, optimize_query falling back to the original text, the metrics, and the
 * compact_long_term_memories MCP tool through the confined engine over Streamable HTTP.
 */

import { ResourceUpdatedNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, memory, startServer, type TestServer } from './helpers.js';
import { callTool, connectMcp, toolText } from './mcp-client.js';

let server: TestServer;
let url: string;
type TokenName = 'writeA' | 'readA' | 'writeB' | 'aliceA' | 'admin';
const tok = {} as Record<TokenName, string>;

const seed = (token: string, memories: unknown[]) =>
  call(url, 'POST', '/v1/long-term-memory', { token, body: { memories, deduplicate: false } });

const idsIn = async (token: string, query = '') =>
  (await call(url, 'GET', `/v1/long-term-memory?limit=100${query}`, { token })).body.memories
    .map((m: { id: string }) => m.id)
    .sort();

/** Ids of the tasks of one kind, from the SQLite file (REST does not list tasks). */
function taskIds(kind: string): { id: string; namespace: string | null }[] {
  const db = new Database(server.dbPath, { readonly: true });
  try {
    const rows = db.prepare('SELECT id, payload FROM tasks WHERE kind = ? ORDER BY created_at').all(kind) as {
      id: string;
      payload: string;
    }[];
    return rows.map((r) => ({
      id: r.id,
      namespace: (JSON.parse(r.payload) as { namespace?: string }).namespace ?? null,
    }));
  } finally {
    db.close();
  }
}

beforeAll(async () => {
  server = await startServer({ AUTH_MODE: 'token', RATE_LIMIT_PER_MINUTE: '100000' }, { autoStartWorker: false });
  url = server.url;
  const add = (name: TokenName, opts: Parameters<NonNullable<TestServer['tokens']>['add']>[0]) => {
    tok[name] = server.tokens!.add(opts).token;
  };
  add('writeA', { namespace: 'A', access: 'write' });
  add('readA', { namespace: 'A', access: 'read' });
  add('writeB', { namespace: 'B', access: 'write' });
  add('aliceA', { namespace: 'A', user_id: 'alice', access: 'write' });
  add('admin', { access: 'admin' });
});
afterAll(() => server.stop());

describe('POST /v1/long-term-memory/compact without an LLM', () => {
  beforeAll(async () => {
    for (const [token, memories] of [
      [
        tok.writeA,
        [
          memory('a-tea-1', 'The team drinks green tea'),
          memory('a-tea-2', 'The team drinks green tea'),
          memory('a-coffee', 'The team drinks coffee on Mondays'),
        ],
      ],
      [tok.aliceA, [memory('u-walk-1', 'Alice walks every morning'), memory('u-walk-2', 'Alice walks every morning')]],
      [tok.writeB, [memory('b-tea-1', 'The team drinks green tea'), memory('b-tea-2', 'The team drinks green tea')]],
    ] as const) {
      expect((await seed(token!, [...memories])).status).toBe(200);
    }
  });

  it('refuses another namespace or user with 403, and read tokens', async () => {
    const other = await call(url, 'POST', '/v1/long-term-memory/compact?namespace=B', { token: tok.writeA });
    expect(other.status).toBe(403);
    expect(other.body.detail).toMatch(/confined to namespace "A"/);
    const bob = await call(url, 'POST', '/v1/long-term-memory/compact?user_id=bob', { token: tok.aliceA });
    expect(bob.status).toBe(403);
    expect(bob.body.detail).toMatch(/confined to user_id "alice"/);
    const read = await call(url, 'POST', '/v1/long-term-memory/compact', { token: tok.readA });
    expect(read.status).toBe(403);
    expect(read.body.detail).toMatch(/needs write access/);
    expect(await idsIn(tok.admin, '&namespace=B')).toEqual(['b-tea-1', 'b-tea-2']);
  });

  it('confines a user-scoped token to its user', async () => {
    const res = await call(url, 'POST', '/v1/long-term-memory/compact', { token: tok.aliceA });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ scanned: 2, duplicates_removed: 1, merged_groups: 0, semantic: 'skipped' });
    expect(await idsIn(tok.writeA)).toHaveLength(4);
  });

  it('removes exact duplicates in the token namespace only and says why near-duplicates were left', async () => {
    const res = await call(url, 'POST', '/v1/long-term-memory/compact', { token: tok.writeA });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      status: 'ok, 3 memories remaining after compaction',
      scanned: 4,
      duplicates_removed: 1,
      merged_groups: 0,
      merged_memories_removed: 0,
      semantic: 'skipped',
      reason: expect.stringMatching(/no LLM/),
    });
    const left = await idsIn(tok.writeA);
    expect(left).toHaveLength(3);
    expect(left).toContain('a-coffee');
    expect(left.filter((id: string) => id.startsWith('a-tea'))).toHaveLength(1);
    // B was not touched by A's compaction; an admin may compact it by name.
    expect(await idsIn(tok.admin, '&namespace=B')).toEqual(['b-tea-1', 'b-tea-2']);
    const again = await call(url, 'POST', '/v1/long-term-memory/compact?namespace=A', { token: tok.writeA });
    expect(again.body).toMatchObject({ scanned: 3, duplicates_removed: 0 });
  });

  it('lets an admin compact any namespace', async () => {
    const res = await call(url, 'POST', '/v1/long-term-memory/compact?namespace=B', { token: tok.admin });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ scanned: 2, duplicates_removed: 1, semantic: 'skipped' });
    expect(await idsIn(tok.admin, '&namespace=B')).toHaveLength(1);
  });

  it('rejects an empty namespace with 422', async () => {
    const res = await call(url, 'POST', '/v1/long-term-memory/compact?namespace=', { token: tok.admin });
    expect(res.status).toBe(422);
    expect(res.body.detail).toMatch(/query: namespace/);
  });
});

describe('GET /v1/tasks/{task_id}', () => {
  let taskA: string;
  let taskB: string;

  beforeAll(async () => {
    // Memories in working memory are promoted to long-term memory by a background task.
    for (const [token, session, ns] of [
      [tok.writeA, 'promote-a', 'A'],
      [tok.writeB, 'promote-b', 'B'],
    ] as const) {
      const put = await call(url, 'PUT', `/v1/working-memory/${session}`, {
        token,
        body: { messages: [], memories: [memory(`wm-${ns}`, `Promoted fact of ${ns}`)] },
      });
      expect(put.status).toBe(200);
    }
    const tasks = taskIds('promote_memories');
    taskA = tasks.find((t) => t.namespace === 'A')!.id;
    taskB = tasks.find((t) => t.namespace === 'B')!.id;
    expect(taskA && taskB).toBeTruthy();
  });

  it('shows a pending task, then its result once it ran', async () => {
    const pending = await call(url, 'GET', `/v1/tasks/${taskA}`, { token: tok.readA });
    expect(pending.status).toBe(200);
    expect(pending.body).toMatchObject({
      id: taskA,
      type: 'promote_memories',
      status: 'pending',
      attempts: 0,
      namespace: 'A',
      user_id: null,
      started_at: null,
      completed_at: null,
      error_message: null,
    });
    expect(Date.parse(pending.body.created_at)).not.toBeNaN();

    expect(await server.engine.runBackgroundTasks()).toBe(2);
    const done = await call(url, 'GET', `/v1/tasks/${taskA}`, { token: tok.writeA });
    expect(done.body).toMatchObject({ status: 'success', attempts: 1, result: { status: 'promoted', promoted: 1 } });
    expect(Date.parse(done.body.completed_at)).not.toBeNaN();
    expect((await call(url, 'GET', '/v1/long-term-memory/wm-A', { token: tok.readA })).body.text).toBe(
      'Promoted fact of A',
    );
  });

  it('answers 404 for a task of another namespace or user, exactly as for an unknown id', async () => {
    const hidden = await call(url, 'GET', `/v1/tasks/${taskB}`, { token: tok.writeA });
    expect(hidden.status).toBe(404);
    expect(hidden.body).toEqual({ detail: `No task with id "${taskB}".` });
    const unknown = await call(url, 'GET', '/v1/tasks/no-such-task', { token: tok.writeA });
    expect(unknown.status).toBe(404);
    expect(unknown.body).toEqual({ detail: 'No task with id "no-such-task".' });
    // A user-scoped token sees only tasks of its user: this one belongs to no user.
    expect((await call(url, 'GET', `/v1/tasks/${taskA}`, { token: tok.aliceA })).status).toBe(404);
    expect((await call(url, 'GET', `/v1/tasks/${taskB}`, { token: tok.writeB })).status).toBe(200);
    expect((await call(url, 'GET', `/v1/tasks/${taskB}`, { token: tok.admin })).body.namespace).toBe('B');
    expect((await call(url, 'GET', `/v1/tasks/${taskA}`)).status).toBe(401);
  });
});

describe('optimize_query without an LLM', () => {
  it('searches with the original text', async () => {
    const body = { text: 'coffee Mondays', search_mode: 'keyword' };
    const plain = await call(url, 'POST', '/v1/long-term-memory/search', { token: tok.readA, body });
    const optimized = await call(url, 'POST', '/v1/long-term-memory/search?optimize_query=true', {
      token: tok.readA,
      body,
    });
    expect(optimized.status).toBe(200);
    expect(optimized.body.memories.map((m: { id: string }) => m.id)).toEqual(['a-coffee']);
    expect(optimized.body.memories.map((m: { id: string }) => m.id)).toEqual(
      plain.body.memories.map((m: { id: string }) => m.id),
    );
    const prompt = await call(url, 'POST', '/v1/memory/prompt?optimize_query=true', {
      token: tok.readA,
      body: { query: 'coffee Mondays', long_term_search: { search_mode: 'keyword' } },
    });
    expect(prompt.status).toBe(200);
    expect(prompt.body.long_term_memories.map((m: { id: string }) => m.id)).toEqual(['a-coffee']);
    expect(prompt.body.messages.at(-1)).toEqual({ role: 'user', content: { type: 'text', text: 'coffee Mondays' } });
  });

  it('still confines the search', async () => {
    const res = await call(url, 'POST', '/v1/long-term-memory/search?optimize_query=true', {
      token: tok.readA,
      body: { text: 'tea', namespace: { eq: 'B' } },
    });
    expect(res.status).toBe(403);
  });
});

describe('metrics and the API description', () => {
  it('reports that no LLM is configured, and no LLM usage', async () => {
    const res = await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${tok.admin}` } });
    const text = await res.text();
    expect(text).toMatch(/^# TYPE agent_memory_llm_available gauge$/m);
    expect(text).toMatch(/^agent_memory_llm_available 0$/m);
    expect(text).not.toMatch(/agent_memory_llm_requests_total/);
  });

  it('documents compact and tasks in the OpenAPI document', async () => {
    const doc = (await call(url, 'GET', '/openapi.json')).body;
    const compact = doc.paths['/v1/long-term-memory/compact'].post;
    expect(compact.parameters.map((p: { name: string }) => p.name).sort()).toEqual(['namespace', 'user_id']);
    expect(compact.responses['200'].content['application/json'].schema.$ref).toBe(
      '#/components/schemas/CompactionReport',
    );
    const task = doc.paths['/v1/tasks/{task_id}'].get;
    expect(task.responses['200'].content['application/json'].schema.$ref).toBe('#/components/schemas/Task');
    expect(task.responses['404']).toBeDefined();
    expect(doc.components.schemas.CompactionReport.properties.semantic.enum).toEqual(['done', 'skipped']);
    expect(doc.components.schemas.Task.properties.status.enum).toEqual(['pending', 'running', 'success', 'failed']);
    const search = doc.paths['/v1/long-term-memory/search'].post;
    expect(search.parameters[0].description).toMatch(/Rewrite/);
  });
});

describe('compact_long_term_memories over Streamable HTTP with a token', () => {
  it('compacts the token namespace through the confined engine', async () => {
    await seed(tok.writeA, [memory('mcp-1', 'Deploys happen at noon'), memory('mcp-2', 'Deploys happen at noon')]);
    await seed(tok.writeB, [memory('mcp-b1', 'Deploys happen at noon'), memory('mcp-b2', 'Deploys happen at noon')]);
    const client = await connectMcp(`${url}/mcp`, 'http', tok.writeA);
    try {
      const denied = await callTool(client, 'compact_long_term_memories', { namespace: 'B' });
      expect(denied.isError).toBe(true);
      expect(toolText(denied)).toMatch(/confined to namespace "A"/);

      const res = await callTool(client, 'compact_long_term_memories', {});
      expect(res.isError).toBeFalsy();
      expect(res.structuredContent).toMatchObject({ duplicates_removed: 1, merged_groups: 0, semantic: 'skipped' });
      const left = await idsIn(tok.writeA);
      expect(left.filter((id: string) => id.startsWith('mcp-'))).toHaveLength(1);
      expect((await idsIn(tok.writeB)).filter((id: string) => id.startsWith('mcp-b'))).toHaveLength(2);
    } finally {
      await client.close();
    }
    const reader = await connectMcp(`${url}/A/mcp`, 'http', tok.readA);
    try {
      const res = await callTool(reader, 'compact_long_term_memories', {});
      expect(res.isError).toBe(true);
      expect(toolText(res)).toMatch(/needs write access/);
    } finally {
      await reader.close();
    }
  });
});

describe('forgetting with a token', () => {
  it('forgets only in the token namespace, and needs write access', async () => {
    const old = { created_at: '2020-01-01T00:00:00Z', last_accessed: '2020-01-01T00:00:00Z' };
    await seed(tok.writeA, [memory('old-a', 'A stale note', old)]);
    await seed(tok.writeB, [memory('old-b', 'B stale note', old)]);
    const body = { policy: { max_age_days: 365 } };
    const other = await call(url, 'POST', '/v1/long-term-memory/forget?namespace=B', { body, token: tok.writeA });
    expect(other.status).toBe(403);
    const own = await call(url, 'POST', '/v1/long-term-memory/forget?dry_run=false', { body, token: tok.writeA });
    expect(own.status).toBe(200);
    expect(own.body.deleted_ids).toContain('old-a');
    expect(own.body.deleted_ids).not.toContain('old-b');
    expect(await idsIn(tok.writeB)).toContain('old-b');
    const reader = await call(url, 'POST', '/v1/long-term-memory/forget', { body, token: tok.readA });
    expect(reader.status).toBe(403);
    expect(reader.body.detail).toMatch(/needs write access/);
  });
});

describe('MCP resources with a token', () => {
  it('lists and reads only the token namespace, and notifies only of its changes', async () => {
    await seed(tok.writeA, [memory('res-a', 'A keeps the spare key under the mat')]);
    await seed(tok.writeB, [memory('res-b', 'B keeps the spare key in the shed')]);
    const client = await connectMcp(`${url}/mcp`, 'http', tok.writeA);
    try {
      const uris = (await client.listResources()).resources.map((r) => r.uri);
      expect(uris).toContain('memory://memories/res-a');
      expect(uris).not.toContain('memory://memories/res-b');
      await expect(client.readResource({ uri: 'memory://memories/res-b' })).rejects.toThrow(/No long-term memory/);

      // Subscribed to both; B's edit must send nothing. Updates go down one stream in order, so had B's been
      // sent, it would arrive before A's.
      const seen: string[] = [];
      const aSeen = new Promise<void>((resolve) => {
        client.setNotificationHandler(ResourceUpdatedNotificationSchema, (n) => {
          seen.push(n.params.uri);
          if (n.params.uri === 'memory://memories/res-a') resolve();
        });
      });
      await client.subscribeResource({ uri: 'memory://memories/res-b' });
      await client.subscribeResource({ uri: 'memory://memories/res-a' });
      const patch = (id: string, token: string) =>
        call(url, 'PATCH', `/v1/long-term-memory/${id}`, { token, body: { topics: ['keys'] } });
      expect((await patch('res-b', tok.writeB)).status).toBe(200);
      expect((await patch('res-a', tok.writeA)).status).toBe(200);
      await aSeen;
      expect(seen).toEqual(['memory://memories/res-a']);
    } finally {
      await client.close();
    }
  });
});
