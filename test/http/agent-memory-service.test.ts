/**
 * The agent-memory-service routes (shared/reference/agent-memory-service-api.md): first the session of that
 * project's README, replayed as its curl calls send it, then every other route, error and the live store check.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from './helpers.js';

let server: TestServer;
beforeAll(async () => {
  server = await startServer({ AUTH_MODE: 'disabled' });
});
afterAll(() => server.stop());

const raw = (method: string, path: string, body?: string) =>
  fetch(server.url + path, {
    method,
    headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
    body,
  }).then(async (r) => ({
    status: r.status, // biome-ignore lint/suspicious/noExplicitAny: JSON answers are checked field by field
    body: (await r.json()) as any,
  }));

describe('agent-memory-service routes', () => {
  it("replays its README's curl session", async () => {
    // curl -X POST .../memory/agent1/session1/append -H "Content-Type: application/json" -d '{...}'
    const before = Date.now();
    const appended = await raw(
      'POST',
      '/memory/agent1/session1/append',
      '{"role": "user", "content": "Hello, I need help with my order."}',
    );
    expect(appended.status).toBe(200);
    expect(appended.body).toMatchObject({
      session_id: 'session1',
      agent_id: 'agent1',
      message_count: 1,
      messages: [{ role: 'user', content: 'Hello, I need help with my order.' }],
    });
    expect(appended.body.messages[0].ts).toBeGreaterThanOrEqual(before - 1000);
    expect(Number.isInteger(appended.body.created_at)).toBe(true);
    expect(Number.isInteger(appended.body.updated_at)).toBe(true);
    expect(appended.body.version).toBeGreaterThanOrEqual(1);

    // curl .../memory/agent1/session1
    const session = await raw('GET', '/memory/agent1/session1');
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ session_id: 'session1', agent_id: 'agent1', message_count: 1 });

    // curl ".../memory/agent1/session1/window?last_n=5"
    const window = await raw('GET', '/memory/agent1/session1/window?last_n=5');
    expect(window.status).toBe(200);
    expect(window.body).toMatchObject({ session_id: 'session1', total_messages: 1, window_size: 5 });
    expect(window.body.messages.map((m: { content: string }) => m.content)).toEqual([
      'Hello, I need help with my order.',
    ]);

    // curl .../health
    const health = await raw('GET', '/health');
    expect(health.status).toBe(200);
    expect(health.body.status).toBe('healthy');
    expect(health.body.service).toBeTruthy();
  });

  it('keeps order, windows the newest, lists sessions on both paths, streams and filters events, deletes', async () => {
    for (let i = 0; i < 12; i++) {
      const res = await call(server.url, 'POST', '/memory/bot/chat/append', {
        body: { role: i % 2 ? 'assistant' : 'user', content: `turn ${i}` },
      });
      expect(res.status).toBe(200);
      expect(res.body.message_count).toBe(i + 1);
    }
    await call(server.url, 'POST', '/memory/bot/other/append', { body: { role: 'user', content: 'hi' } });
    const window = await call(server.url, 'GET', '/memory/bot/chat/window');
    expect(window.body.window_size).toBe(10);
    expect(window.body.messages.map((m: { content: string }) => m.content)).toEqual(
      Array.from({ length: 10 }, (_, i) => `turn ${i + 2}`),
    );
    for (const path of ['/agents/bot/sessions', '/memory/bot/sessions']) {
      const list = await call(server.url, 'GET', path);
      expect(list.status).toBe(200);
      expect(list.body.agent_id).toBe('bot');
      expect(list.body.total).toBe(2);
      expect(
        list.body.sessions
          .map((s: { session_id: string; message_count: number }) => [s.session_id, s.message_count])
          .sort(),
      ).toEqual([
        ['chat', 12],
        ['other', 1],
      ]);
    }
    const full = await call(server.url, 'GET', '/memory/bot/chat');
    expect(full.body.messages).toHaveLength(12);

    const stream = await call(server.url, 'GET', '/stream/bot?limit=3');
    expect(stream.status).toBe(200);
    expect(stream.body.events.map((e: { action: string; session_id: string }) => e.action)).toEqual([
      'read',
      'read',
      'append',
    ]);
    expect(stream.body.total).toBe(3);
    expect(stream.body.events[2]).toMatchObject({ agent_id: 'bot', session_id: 'other' });
    expect(Number.isInteger(stream.body.events[0].ts)).toBe(true);
    const appends = await call(server.url, 'GET', '/stream/bot/filter?action=append');
    expect(appends.body.events).toHaveLength(13);
    expect(appends.body.events.every((e: { action: string }) => e.action === 'append')).toBe(true);
    const reads = await call(server.url, 'GET', '/stream/bot/filter?action=read&limit=20');
    expect(reads.body.events.map((e: { action: string; session_id: string }) => e.session_id)).toEqual([
      'chat',
      'chat',
    ]);

    const gone = await call(server.url, 'DELETE', '/memory/bot/chat');
    expect(gone.status).toBe(200);
    expect(gone.body).toEqual({ message: 'deleted', session_id: 'chat' });
    const deletes = await call(server.url, 'GET', '/stream/bot/filter?action=delete');
    expect(deletes.body.events.map((e: { action: string; session_id: string }) => e.session_id)).toEqual(['chat']);
    // The same session is working memory of namespace "bot" for the /v1 API.
    expect((await call(server.url, 'GET', '/v1/working-memory/other?namespace=bot')).status).toBe(200);
  });

  it('answers its errors in its shape: 404 session_not_found, 422 validation_error for a bad body or parameter', async () => {
    for (const [method, path] of [
      ['GET', '/memory/bot/nope'],
      ['GET', '/memory/bot/nope/window'],
      ['DELETE', '/memory/bot/nope'],
    ] as const) {
      const res = await call(server.url, method, path);
      expect(res.status, path).toBe(404);
      expect(res.body.error).toBe('session_not_found');
      expect(res.body.detail).toContain('nope');
    }
    for (const body of [{ role: 'user' }, { role: 42, content: 'x' }, { role: 'user', content: 'x', extra: 1 }]) {
      const res = await call(server.url, 'POST', '/memory/bot/s/append', { body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.error).toBe('validation_error');
    }
    expect((await raw('POST', '/memory/bot/s/append', '{not json')).body.error).toBe('validation_error');
    expect((await call(server.url, 'GET', '/memory/bot/s/window?last_n=0')).status).toBe(422);
    expect((await call(server.url, 'GET', '/stream/bot/filter?action=explode')).status).toBe(422);
  });
});
