import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { invalid, MemoryError } from '../../errors.js';
import { Identifier } from '../../models/common.js';
import type { AppEnv } from '../env.js';
import { etagOf, parseTagCondition } from '../etag.js';
import {
  AckResponse,
  AppendMessagesRequest,
  AppendMessagesResponse,
  NamespaceQuery,
  queryBool,
  queryInt,
  SessionListResponse,
  UserQuery,
  WindowQuery,
  WorkingMemoryInput,
  WorkingMemoryResponse,
  WriteWindowQuery,
} from '../schemas.js';
import {
  badRequest,
  bearerAuth,
  commonErrors,
  conflict,
  jsonBody,
  jsonContent,
  notFound,
  preconditionFailed,
} from './openapi-helpers.js';

const tags = ['Working memory'];
const SessionPath = z.object({
  session_id: Identifier.meta({ example: 'chat-42' }),
});

const EtagHeader = z.object({
  ETag: z.string().meta({ description: "The session's version as an entity tag, for If-Match on a later PUT." }),
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
    200: { ...jsonContent(WorkingMemoryResponse, 'The working memory'), headers: EtagHeader },
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
    'Replaces messages, memories, context and data. To refuse overwriting a newer version, send the ETag of your ' +
    'last read as `If-Match` (412 when the session has moved on; `If-Match: *` only requires that it exists), or ' +
    '`version` in the body (409). `If-None-Match: *` creates the session only if it does not exist yet (else 412).',
  request: {
    params: SessionPath,
    query: z.object({
      ...WriteWindowQuery,
      // The reference's Python client sends the user here, beside the body.
      user_id: UserQuery,
      namespace: NamespaceQuery,
      background: queryBool
        .optional()
        .refine((v) => v !== true, {
          message:
            'background=true is not supported: summarization runs within the PUT, so its answer holds the summary (leave background out, or send false)',
        })
        .meta({ description: "The reference TypeScript client's flag; only false (the behaviour here) is taken." }),
    }),
    headers: z.object({
      'if-match': z.string().optional().meta({ description: 'An ETag from a read ("3"), or *.' }),
      'if-none-match': z.string().optional().meta({ description: '* to create only.' }),
    }),
    body: jsonBody(WorkingMemoryInput),
  },
  responses: {
    200: { ...jsonContent(WorkingMemoryResponse, 'The stored working memory'), headers: EtagHeader },
    ...badRequest,
    ...commonErrors,
    ...conflict,
    ...preconditionFailed,
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
    query: z.object({ recent_messages_limit: queryInt(1).optional(), ...WriteWindowQuery }),
    body: jsonBody(AppendMessagesRequest),
  },
  responses: {
    200: { ...jsonContent(AppendMessagesResponse, 'The session after the append'), headers: EtagHeader },
    ...badRequest,
    ...commonErrors,
  },
});

const forkSession = createRoute({
  method: 'post',
  path: '/v1/working-memory/{session_id}/fork',
  tags,
  security: bearerAuth,
  summary: 'Branch a session into a new one',
  description:
    'Creates a new session in the same namespace and user with copies of the messages (up to and including ' +
    '`at_message_id` when given), the running summary, data and TTL. Messages keep their ids and extraction ' +
    'marks; structured memories waiting for promotion stay with the source. 409 when `new_session_id` exists.',
  request: {
    params: SessionPath,
    body: {
      content: {
        'application/json': {
          schema: z.strictObject({
            new_session_id: Identifier.optional().meta({ description: 'Id of the copy (default: a new ULID).' }),
            at_message_id: Identifier.optional().meta({ description: 'Copy the messages up to this one.' }),
            namespace: NamespaceQuery,
            user_id: UserQuery,
          }),
        },
      },
      required: false,
    },
  },
  responses: {
    200: { ...jsonContent(WorkingMemoryResponse, 'The new session'), headers: EtagHeader },
    ...badRequest,
    ...commonErrors,
    ...notFound,
    ...conflict,
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
    const result = await c.get('api').workingMemory.get({ session_id, namespace, user_id }, opts);
    return c.json(result, 200, { ETag: etagOf(result.version) });
  });

  app.openapi(putSession, async (c) => {
    const { session_id } = c.req.valid('param');
    const { user_id, namespace, background: _background, ...window } = c.req.valid('query');
    const body = withQueryKey(c.req.valid('json'), { user_id, namespace });
    const ifMatch = parseTagCondition(c.req.header('if-match'), 'If-Match');
    const ifNoneMatch = parseTagCondition(c.req.header('if-none-match'), 'If-None-Match');
    if (ifMatch && ifNoneMatch) throw invalid('Send If-Match or If-None-Match, not both.');
    if (ifNoneMatch && !ifNoneMatch.any) {
      throw invalid('If-None-Match on a PUT supports only * (create the session only if it does not exist).');
    }
    // A missing session has version 0 in the store: If-None-Match: * is "expect version 0", checked atomically.
    let expected = ifNoneMatch ? 0 : ifMatch && !ifMatch.any ? ifMatch.version : undefined;
    if (expected !== undefined && body.version !== undefined && body.version !== expected) {
      throw invalid(`The body's version (${body.version}) and the precondition header (version ${expected}) differ.`);
    }
    const wm = c.get('api').workingMemory;
    if (ifMatch?.any) {
      const key = { session_id, namespace: body.namespace ?? null, user_id: body.user_id ?? null };
      if (!(await wm.find(key))) {
        throw new MemoryError(
          'precondition',
          `If-Match: * requires session "${session_id}" to exist, and it does not.`,
        );
      }
      expected = body.version;
    }
    const result = await wm.put(
      session_id,
      { ...body, version: expected ?? body.version },
      { ...window, precondition: ifNoneMatch !== undefined || ifMatch?.any === false },
    );
    return c.json(result, 200, { ETag: etagOf(result.version) });
  });

  app.openapi(forkSession, async (c) => {
    const { session_id } = c.req.valid('param');
    const { namespace, user_id, ...opts } = c.req.valid('json') ?? {};
    const result = await c.get('api').workingMemory.fork({ session_id, namespace, user_id }, opts);
    return c.json(result, 200, { ETag: etagOf(result.version) });
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
    return c.json(result, 200, { ETag: etagOf(result.version) });
  });
}

/** The session's user and namespace given as query parameters: they fill the body's, and may not contradict it. */
function withQueryKey<T extends { user_id?: string | null; namespace?: string | null }>(
  body: T,
  query: { user_id?: string; namespace?: string },
): T {
  const out = { ...body };
  for (const field of ['user_id', 'namespace'] as const) {
    const q = query[field];
    if (q === undefined) continue;
    const b = body[field];
    if (b !== undefined && b !== null && b !== q) {
      throw invalid(`${field}: the query says "${q}" and the body "${b}"; send one, or the same in both.`);
    }
    out[field] = q;
  }
  return out;
}
