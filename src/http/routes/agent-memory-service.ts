import type { Context, Hono } from 'hono';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import { z } from 'zod';
import { AuthFailure } from '../../auth/authenticator.js';
import type { MemoryEngine } from '../../core/engine.js';
import { describeZodIssues, MemoryError } from '../../errors.js';
import { SESSION_ACTIONS } from '../../models/activity.js';
import { Identifier } from '../../models/common.js';
import { MessageRole } from '../../models/message.js';
import type { WorkingMemoryResponse } from '../../models/working-memory.js';
import type { AppEnv } from '../env.js';

/**
 * The routes of agent-memory-service (github.com/Ajayvardhanreddy/agent-memory-service), as thin aliases over the
 * same engine, with its JSON shapes and `{error, detail}` errors, so its clients work unchanged. Its `agent_id`
 * is our namespace (sessions have no user); its stream is our activity stream of that namespace's sessions, where
 * reads through these routes are events too, as they are there.
 */

/** Every message of a session: that service returns them all. */
const ALL = 1_000_000;
/** The most sessions GET /memory/{agent_id}/sessions lists. */
const SESSION_LIST_MAX = 1000;

const ERROR_CODES: Record<number, string> = {
  400: 'bad_request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'session_not_found',
  409: 'version_conflict',
  413: 'payload_too_large',
  422: 'validation_error',
  429: 'rate_limited',
  503: 'kv_store_unavailable',
};

const fail = (c: Context, status: number, detail: string) =>
  c.json({ error: ERROR_CODES[status] ?? 'error', detail }, status as ContentfulStatusCode);

const AppendBody = z.strictObject({ role: MessageRole, content: z.string().min(1, 'must not be empty') });
const limitParam = (fallback: number) =>
  z.coerce.number({ message: 'expected a whole number' }).int().min(1).max(1000).default(fallback);

function parse<T extends z.ZodType>(schema: T, value: unknown, where: string): z.output<T> {
  const r = schema.safeParse(value);
  if (!r.success) throw new MemoryError('invalid', `${where}: ${describeZodIssues(r.error.issues)}`);
  return r.data;
}

const ms = (iso: string | null | undefined) => (iso ? Date.parse(iso) : 0);

function sessionResponse(agentId: string, s: WorkingMemoryResponse) {
  return {
    session_id: s.session_id,
    agent_id: agentId,
    messages: s.messages.map((m) => ({ role: m.role, content: m.content, ts: ms(m.created_at) })),
    message_count: s.total_messages,
    created_at: ms(s.created_at),
    updated_at: ms(s.updated_at),
    version: s.version,
  };
}

export function agentMemoryServiceRoutes(app: Hono<AppEnv>, engine: MemoryEngine): void {
  // Answers in that service's error shape, whatever went wrong.
  const route =
    (handler: (c: Context<AppEnv>, api: MemoryEngine) => Promise<Response>) =>
    async (c: Context<AppEnv>): Promise<Response> => {
      try {
        return await handler(c, c.get('api'));
      } catch (err) {
        // FastAPI, which that service runs on, answers a request it cannot validate with 422.
        if (err instanceof MemoryError) return fail(c, err.kind === 'invalid' ? 422 : err.status, err.message);
        if (err instanceof AuthFailure) return fail(c, err.status, err.message);
        throw err;
      }
    };
  const key = (c: Context) => {
    const agentId = parse(Identifier, c.req.param('agent_id'), 'agent_id');
    const sessionId = parse(Identifier, c.req.param('session_id'), 'session_id');
    return { agentId, query: { session_id: sessionId, namespace: agentId, user_id: null } };
  };

  app.post(
    '/memory/:agent_id/:session_id/append',
    route(async (c, api) => {
      const { agentId, query } = key(c);
      let raw: unknown;
      try {
        raw = await c.req.json();
      } catch {
        throw new MemoryError('invalid', 'body: send JSON {"role": ..., "content": ...}');
      }
      const body = parse(AppendBody, raw, 'body');
      await api.workingMemory.append(query, [body]);
      return c.json(sessionResponse(agentId, await api.workingMemory.get(query, { recent_messages_limit: ALL })), 200);
    }),
  );

  const listSessions = route(async (c, api) => {
    const agentId = parse(Identifier, c.req.param('agent_id'), 'agent_id');
    const page = await api.workingMemory.list({ namespace: agentId, user_id: null }, SESSION_LIST_MAX, 0);
    const sessions = [];
    for (const id of page.sessions) {
      const s = await api.workingMemory.find({ session_id: id, namespace: agentId, user_id: null }, 0);
      if (!s) continue;
      sessions.push({
        session_id: s.session_id,
        message_count: s.total_messages,
        created_at: ms(s.created_at),
        updated_at: ms(s.updated_at),
        version: s.version,
      });
    }
    return c.json({ agent_id: agentId, sessions, total: page.total }, 200);
  });
  app.get('/agents/:agent_id/sessions', listSessions);
  app.get('/memory/:agent_id/sessions', listSessions);

  app.get(
    '/memory/:agent_id/:session_id/window',
    route(async (c, api) => {
      const { query } = key(c);
      const lastN = parse(limitParam(10), c.req.query('last_n'), 'last_n');
      const s = await api.workingMemory.get(query, { recent_messages_limit: lastN });
      await api.activity.recordRead(query);
      return c.json(
        {
          session_id: s.session_id,
          messages: s.messages.map((m) => ({ role: m.role, content: m.content, ts: ms(m.created_at) })),
          total_messages: s.total_messages,
          window_size: lastN,
        },
        200,
      );
    }),
  );

  app.get(
    '/memory/:agent_id/:session_id',
    route(async (c, api) => {
      const { agentId, query } = key(c);
      const s = await api.workingMemory.get(query, { recent_messages_limit: ALL });
      await api.activity.recordRead(query);
      return c.json(sessionResponse(agentId, s), 200);
    }),
  );

  app.delete(
    '/memory/:agent_id/:session_id',
    route(async (c, api) => {
      const { query } = key(c);
      await api.workingMemory.delete(query);
      return c.json({ message: 'deleted', session_id: query.session_id }, 200);
    }),
  );

  const stream = (filtered: boolean) =>
    route(async (c, api) => {
      const agentId = parse(Identifier, c.req.param('agent_id'), 'agent_id');
      const limit = parse(limitParam(filtered ? 20 : 50), c.req.query('limit'), 'limit');
      const action = filtered ? parse(z.enum(SESSION_ACTIONS), c.req.query('action'), 'action') : undefined;
      const page = await api.activity.page({
        namespace: agentId,
        resource: 'session',
        ...(action ? { action } : {}),
        limit,
      });
      const events = page.events.map((e) => ({
        event_id: e.id,
        agent_id: agentId,
        action: e.action,
        session_id: e.session_id,
        ts: Date.parse(e.at),
        metadata: e.details,
      }));
      return c.json({ events, total: events.length }, 200);
    });
  app.get('/stream/:agent_id/filter', stream(true));
  app.get('/stream/:agent_id', stream(false));

  app.get('/health', async (c) => {
    try {
      await engine.workingMemory.list({}, 1, 0);
      return c.json({ status: 'healthy', service: 'agent-memory', kv_store: 'ok' }, 200);
    } catch (err) {
      const reason = err instanceof Error ? err.message : String(err);
      return c.json({ status: 'degraded', service: 'agent-memory', kv_store: 'unavailable', detail: reason }, 503);
    }
  });
}
