import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { streamSSE } from 'hono/streaming';
import { ACTIVITY_ACTIONS, ActivityPage, MemoryHistory } from '../../models/activity.js';
import { Identifier } from '../../models/common.js';
import { EraseReport, MemoryStats } from '../../models/users.js';
import { VERSION } from '../../version.js';
import type { AppEnv } from '../env.js';
import { badRequest, bearerAuth, commonErrors, jsonContent, notFound } from './openapi-helpers.js';

/** The path of the live stream: the request timeout does not apply to it. */
export const ACTIVITY_STREAM_PATH = '/v1/activity/stream';

/** How often an idle live stream sends a comment, so proxies and clients see the connection is alive. */
const KEEP_ALIVE_MS = 15_000;

// For the OpenAPI document; the engine parses the query itself (strictly: an unknown parameter is refused).
const activityQueryDoc = z.object({
  namespace: Identifier.optional(),
  user_id: Identifier.optional(),
  session_id: Identifier.optional(),
  action: z
    .string()
    .optional()
    .meta({ description: `Only these actions, comma-separated: ${ACTIVITY_ACTIONS.join(', ')}.` }),
  resource: z.enum(['memory', 'session', 'user']).optional(),
  since: z.string().optional().meta({ description: 'Only events at or after this time (ISO 8601 or epoch ms).' }),
  cursor: z.string().optional().meta({ description: 'The next_cursor of the previous page.' }),
  limit: z.string().optional().meta({ description: 'Events per page, 1 to 1000 (default 100).' }),
});

const tags = ['Activity and history'];

const listActivity = createRoute({
  method: 'get',
  path: '/v1/activity',
  tags,
  security: bearerAuth,
  summary: 'The activity stream, newest first',
  description:
    'Every write: sessions appended, put, forked, deleted; memories created, edited, merged, deleted, forgotten; ' +
    'users erased. Each event has its time, actor (token, MCP client, cli, server), ids and counts. Paged by ' +
    '`cursor`; a confined token sees only its namespace (and user). Kept ACTIVITY_RETENTION_DAYS days.',
  request: { query: activityQueryDoc },
  responses: { 200: jsonContent(ActivityPage, 'One page of events'), ...badRequest, ...commonErrors },
});

const streamActivity = createRoute({
  method: 'get',
  path: ACTIVITY_STREAM_PATH,
  tags,
  security: bearerAuth,
  summary: 'The activity stream, live (Server-Sent Events)',
  description:
    'Each new event the query keeps, as an SSE `activity` event whose `id` is the event id. Reconnecting with ' +
    '`Last-Event-ID` resumes after that event, missing none; without it the stream starts with the next event. ' +
    'Events written by every server sharing the store arrive. Same filters as GET /v1/activity (no cursor).',
  request: { query: activityQueryDoc.omit({ cursor: true, limit: true }) },
  responses: {
    200: { content: { 'text/event-stream': { schema: z.string() } }, description: 'An endless event stream' },
    ...badRequest,
    ...commonErrors,
  },
});

const memoryHistory = createRoute({
  method: 'get',
  path: '/v1/long-term-memory/{memory_id}/history',
  tags,
  security: bearerAuth,
  summary: "A memory's history",
  description:
    'Create, edit, merge (dedup, compaction), delete and forget events, oldest first, each with the record before ' +
    'and after and who made the change. Readable after the memory is deleted, until its user is erased or ' +
    'retention expires the events.',
  request: { params: z.object({ memory_id: Identifier }) },
  responses: { 200: jsonContent(MemoryHistory, 'The history'), ...commonErrors, ...notFound },
});

const eraseUser = createRoute({
  method: 'delete',
  path: '/v1/users/{user_id}',
  tags,
  security: bearerAuth,
  summary: "Erase a user's data",
  description:
    "Deletes the user's working memory, long-term memories, their history and activity, background tasks and " +
    'cached embeddings, and returns the counts. On SQLite the freed pages are zeroed and the full-text index and ' +
    'write-ahead log rewritten, so the text does not linger in the file. A token confined to this user needs ' +
    'write access; erasing another user needs admin. `namespace` limits it to one namespace.',
  request: {
    params: z.object({ user_id: Identifier }),
    query: z.object({ namespace: Identifier.optional() }),
  },
  responses: { 200: jsonContent(EraseReport, 'What was erased'), ...badRequest, ...commonErrors },
});

const StatsResponse = MemoryStats.extend({ version: z.string(), uptime_seconds: z.number() }).meta({
  id: 'StatsResponse',
});

const stats = createRoute({
  method: 'get',
  path: '/v1/stats',
  tags: ['System'],
  security: bearerAuth,
  summary: 'Counts of memories and sessions',
  description:
    'Memories by namespace, user, type and pin, their oldest and newest, sessions and messages, storage size and ' +
    'the embedding model. A confined token counts only its namespace (and user); an unconfined one the whole store, or the namespace and user it names.',
  request: { query: z.object({ namespace: Identifier.optional(), user_id: Identifier.optional() }) },
  responses: { 200: jsonContent(StatsResponse, 'Counts'), ...commonErrors },
});

export function activityRoutes(app: OpenAPIHono<AppEnv>, startedAt: number): void {
  app.openapi(listActivity, async (c) => c.json(await c.get('api').activity.page(c.req.query()), 200));

  app.openapi(streamActivity, async (c) => {
    const api = c.get('api');
    const abort = new AbortController();
    // Validates the query and Last-Event-ID before the stream starts, so a bad one is a 400, not a broken stream.
    const events = await api.activity.follow(c.req.query(), c.req.header('last-event-id'), abort.signal);
    return streamSSE(c, async (stream) => {
      stream.onAbort(() => abort.abort());
      let lastWrite = Date.now();
      const keepAlive = setInterval(() => {
        if (Date.now() - lastWrite < KEEP_ALIVE_MS) return;
        lastWrite = Date.now();
        stream.write(': keep-alive\n\n').catch(() => abort.abort());
      }, KEEP_ALIVE_MS);
      try {
        await stream.writeSSE({ event: 'ready', data: '{}' });
        for await (const e of events) {
          await stream.writeSSE({ event: 'activity', id: e.id, data: JSON.stringify(e) });
          lastWrite = Date.now();
        }
      } finally {
        clearInterval(keepAlive);
        abort.abort();
      }
    }) as never;
  });

  app.openapi(memoryHistory, async (c) =>
    c.json(await c.get('api').activity.history(c.req.valid('param').memory_id), 200),
  );

  app.openapi(eraseUser, async (c) =>
    c.json(
      await c
        .get('api')
        .eraseUser({ user_id: c.req.valid('param').user_id, namespace: c.req.valid('query').namespace }),
      200,
    ),
  );

  app.openapi(stats, async (c) => {
    const q = c.req.valid('query');
    const counts = await c.get('api').stats({ namespace: q.namespace, user_id: q.user_id });
    return c.json({ ...counts, version: VERSION, uptime_seconds: Math.round((Date.now() - startedAt) / 1000) }, 200);
  });
}
