import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { MemoryError } from '../../errors.js';
import { Identifier } from '../../models/common.js';
import type { AppEnv } from '../env.js';
import {
  AckResponse,
  AppendMessagesRequest,
  AppendMessagesResponse,
  NamespaceQuery,
  queryInt,
  SessionListResponse,
  UserQuery,
  WindowQuery,
  WorkingMemoryInput,
  WorkingMemoryResponse,
} from '../schemas.js';
import { badRequest, bearerAuth, commonErrors, conflict, jsonBody, jsonContent, notFound } from './openapi-helpers.js';

const tags = ['Working memory'];
const SessionPath = z.object({
  session_id: Identifier.meta({ example: 'chat-42' }),
});

const listSessions = createRoute({
  method: 'get',
  path: '/v1/working-memory',
  tags,
  security: bearerAuth,
  summary: 'List session ids, most recently updated first',
  request: {
    query: z.object({
      limit: queryInt(1, 100).default(20),
      offset: queryInt(0).default(0),
      namespace: NamespaceQuery,
      user_id: UserQuery,
    }),
  },
  responses: { 200: jsonContent(SessionListResponse, 'Session ids'), ...commonErrors },
});

const getSession = createRoute({
  method: 'get',
  path: '/v1/working-memory/{session_id}',
  tags,
  security: bearerAuth,
  summary: "Read a session's working memory",
  request: {
    params: SessionPath,
    query: z.object({
      namespace: NamespaceQuery,
      user_id: UserQuery,
      recent_messages_limit: queryInt(1).optional().meta({ description: 'Return only the newest N messages.' }),
      ...WindowQuery,
    }),
  },
  responses: {
    200: jsonContent(WorkingMemoryResponse, 'The working memory'),
    ...commonErrors,
    ...notFound,
    ...conflict,
  },
});

const putSession = createRoute({
  method: 'put',
  path: '/v1/working-memory/{session_id}',
  tags,
  security: bearerAuth,
  summary: "Replace a session's working memory",
  description:
    'Replaces messages, memories, context and data. Send `version` from your last read to refuse overwriting a newer version (409).',
  request: { params: SessionPath, query: z.object(WindowQuery), body: jsonBody(WorkingMemoryInput) },
  responses: {
    200: jsonContent(WorkingMemoryResponse, 'The stored working memory'),
    ...badRequest,
    ...commonErrors,
    ...conflict,
  },
});

const deleteSession = createRoute({
  method: 'delete',
  path: '/v1/working-memory/{session_id}',
  tags,
  security: bearerAuth,
  summary: "Delete a session's working memory",
  request: { params: SessionPath, query: z.object({ namespace: NamespaceQuery, user_id: UserQuery }) },
  responses: {
    200: jsonContent(AckResponse, 'Deleted (or there was nothing to delete)'),
    ...commonErrors,
    ...conflict,
  },
});

const appendMessages = createRoute({
  method: 'post',
  path: '/v1/working-memory/{session_id}/messages',
  tags,
  security: bearerAuth,
  summary: 'Append messages atomically',
  description:
    'Adds messages to the end of the session, creating it when missing. Concurrent appenders never lose a message, ' +
    'and re-sending a message id does not duplicate it. Use recent_messages_limit to keep the response small.',
  request: {
    params: SessionPath,
    query: z.object({ recent_messages_limit: queryInt(1).optional(), ...WindowQuery }),
    body: jsonBody(AppendMessagesRequest),
  },
  responses: {
    200: jsonContent(AppendMessagesResponse, 'The session after the append'),
    ...badRequest,
    ...commonErrors,
  },
});

export function workingMemoryRoutes(app: OpenAPIHono<AppEnv>): void {
  app.openapi(listSessions, async (c) => {
    const { limit, offset, namespace, user_id } = c.req.valid('query');
    return c.json(await c.get('api').workingMemory.list({ namespace, user_id }, limit, offset), 200);
  });

  app.openapi(getSession, async (c) => {
    const { session_id } = c.req.valid('param');
    const { namespace, user_id, ...opts } = c.req.valid('query');
    return c.json(await c.get('api').workingMemory.get({ session_id, namespace, user_id }, opts), 200);
  });

  app.openapi(putSession, async (c) => {
    const { session_id } = c.req.valid('param');
    return c.json(await c.get('api').workingMemory.put(session_id, c.req.valid('json'), c.req.valid('query')), 200);
  });

  app.openapi(deleteSession, async (c) => {
    const { session_id } = c.req.valid('param');
    const { namespace, user_id } = c.req.valid('query');
    try {
      await c.get('api').workingMemory.delete({ session_id, namespace, user_id });
    } catch (err) {
      // The reference server answers ok for a missing session; clients rely on delete being idempotent.
      if (!(err instanceof MemoryError && err.kind === 'not_found')) throw err;
    }
    return c.json({ status: 'ok' }, 200);
  });

  app.openapi(appendMessages, async (c) => {
    const { session_id } = c.req.valid('param');
    const { messages, namespace, user_id, ttl_seconds } = c.req.valid('json');
    const result = await c
      .get('api')
      .workingMemory.append({ session_id, namespace: namespace ?? null, user_id: user_id ?? null }, messages, {
        ttl_seconds,
        ...c.req.valid('query'),
      });
    return c.json(result, 200);
  });
}
