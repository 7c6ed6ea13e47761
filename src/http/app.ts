import { OpenAPIHono } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { cors } from 'hono/cors';
import { HTTPException } from 'hono/http-exception';
import { routePath } from 'hono/route';
import { timeout } from 'hono/timeout';
import { type Authenticator, AuthFailure } from '../auth/authenticator.js';
import { isUnconfined } from '../auth/identity.js';
import { SCOPES_SUPPORTED } from '../auth/oauth2.js';
import { scopeEngine } from '../auth/scoped-engine.js';
import type { HttpConfig } from '../config.js';
import type { Engine } from '../core/engine.js';
import { llmUsage } from '../llm/usage.js';
import { Identifier } from '../models/common.js';
import { createDashboard } from '../ui/dashboard.js';
import { withActor } from '../util/actor.js';
import { log } from '../util/log.js';
import { VERSION } from '../version.js';
import { docsRoutes } from './docs.js';
import type { AppEnv } from './env.js';
import { detail, errorHandler, notFoundHandler, validationHook } from './errors.js';
import { isLoopbackAddress, loopbackGuard } from './guards.js';
import { McpHttp } from './mcp-http.js';
import { llmUsageSamples, Metrics } from './metrics.js';
import { RateLimiter } from './rate-limit.js';
import { ACTIVITY_STREAM_PATH, activityRoutes } from './routes/activity.js';
import { agentMemoryRoutes } from './routes/agent-memory.js';
import { agentMemoryServiceRoutes } from './routes/agent-memory-service.js';
import { longTermRoutes } from './routes/long-term.js';
import { promptRoutes } from './routes/prompt.js';
import { queryCacheRoutes } from './routes/query-cache.js';
import { summaryViewRoutes } from './routes/summary-views.js';
import { systemRoutes } from './routes/system.js';
import { taskRoutes } from './routes/tasks.js';
import { workingMemoryRoutes } from './routes/working-memory.js';
import { statsSource } from './stats.js';

export interface HttpApp {
  app: OpenAPIHono<AppEnv>;
  mcp: McpHttp;
  metrics: Metrics;
  close(): Promise<void>;
}

/**
 * What answers without a token: reads of these exact paths only. A pattern matching more (`/.well-known/...`,
 * `/docs/...`) would also match the namespaced MCP routes (`/{namespace}/mcp`), and let them skip authentication.
 */
const PUBLIC = [
  /^\/$/,
  /^\/v1\/health\/?$/,
  /^\/health\/?$/,
  /^\/openapi\.json$/,
  /^\/docs\/?$/,
  /^\/docs\/[^/]+\.(js|css|png|svg|map|woff2?)$/,
  /^\/\.well-known\/oauth-protected-resource(\/.*)?$/,
];
const isPublic = (method: string, path: string) =>
  (method === 'GET' || method === 'HEAD') && PUBLIC.some((re) => re.test(path));
/** Path segments that name public pages, never a namespace: `/{namespace}/mcp` refuses them. */
const RESERVED_NAMESPACES = new Set([
  'docs',
  '.well-known',
  'v1',
  'openapi.json',
  'health',
  'metrics',
  'memory',
  'stream',
  'agents',
  'ui',
]);

/** Base URL clients use: PUBLIC_URL when set (behind a proxy), else the origin the request came to. */
const baseUrl = (config: HttpConfig, c: Context) => config.publicUrl ?? new URL(c.req.url).origin;

export function createHttpApp(
  engine: Engine,
  config: HttpConfig,
  authenticate: Authenticator,
  opts: { worker?: number } = {},
): HttpApp {
  const app = new OpenAPIHono<AppEnv>({ strict: false, defaultHook: validationHook });
  const metrics = new Metrics();
  const limiter = new RateLimiter(config.rateLimitPerMinute);
  const startedAt = Date.now();
  const stats = statsSource(engine, startedAt);
  const dashboard = createDashboard({
    authMode: config.auth.mode,
    authenticate,
    publicUrl: config.publicUrl,
    maxBodyBytes: config.maxBodyBytes,
  });
  const corsOn = config.corsOrigins.length > 0;
  const corsOrigin = (origin: string | undefined) =>
    config.corsOrigins.includes('*') ? '*' : origin && config.corsOrigins.includes(origin) ? origin : null;

  const mcp = new McpHttp(engine, {
    ...config.mcp,
    ...(opts.worker === undefined ? {} : { worker: opts.worker }),
    maxBodyBytes: config.maxBodyBytes,
    onToolCall: (tool, outcome, seconds) => metrics.recordToolCall(tool, outcome, seconds),
    sseHeaders: (c): Record<string, string> => {
      const origin = corsOn ? corsOrigin(c.req.header('origin')) : null;
      return origin ? { 'Access-Control-Allow-Origin': origin } : {};
    },
  });

  const resourceMetadataUrl = (c: Context) => `${baseUrl(config, c)}/.well-known/oauth-protected-resource`;
  app.onError(
    errorHandler((c, failure) =>
      config.auth.mode === 'oauth2'
        ? `Bearer resource_metadata="${resourceMetadataUrl(c)}"${failure.status === 401 && c.req.header('authorization') ? ', error="invalid_token"' : ''}`
        : 'Bearer realm="agent-memory"',
    ),
  );
  app.notFound(notFoundHandler);

  // Outermost: every request is counted under its route pattern, whatever happens inside.
  app.use('*', async (c, next) => {
    const started = performance.now();
    await next();
    const seconds = (performance.now() - started) / 1000;
    metrics.recordRequest(c.req.method, routePathOr(c, 'unmatched'), c.res.status, seconds);
    log.debug('http', { method: c.req.method, path: c.req.path, status: c.res.status, ms: Math.round(seconds * 1000) });
  });
  if (corsOn) {
    app.use(
      '*',
      cors({
        origin: (origin) => corsOrigin(origin),
        allowHeaders: ['Authorization', 'Content-Type', 'Mcp-Session-Id', 'Mcp-Protocol-Version', 'Last-Event-ID'],
        allowMethods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
        exposeHeaders: ['Mcp-Session-Id', 'WWW-Authenticate', 'Retry-After'],
        maxAge: 600,
      }),
    );
  }
  if (config.auth.mode === 'disabled' && isLoopbackAddress(config.host)) {
    app.use('*', loopbackGuard({ allowedHosts: config.allowedHosts, corsOrigins: config.corsOrigins }));
  }

  // The dashboard (/ui) answers with pages, a lapsed sign-in included.
  app.use('/ui/*', dashboard.gate);

  app.use('*', async (c, next) => {
    const path = c.req.path;
    if (isPublic(c.req.method, path) || dashboard.isPublic(c.req.method, path) || c.req.method === 'OPTIONS') {
      return next();
    }
    // Dashboard pages carry the token in their sign-in cookie; every other route only in the header.
    const identity = await authenticate(c.req.header('authorization') ?? dashboard.authorization(c));
    c.set('identity', identity);
    c.set('api', scopeEngine(engine, isUnconfined(identity) ? undefined : identity));
    if (identity.kind !== 'anonymous') {
      const wait = limiter.take(identity.subject);
      if (wait > 0) {
        return detail(
          c,
          429,
          `Rate limit of ${config.rateLimitPerMinute} requests per minute exceeded; retry in ${wait} s.`,
          {
            'Retry-After': String(wait),
          },
        );
      }
    }
    // Writes made for this request are recorded under its caller in the activity stream.
    return withActor(identity.kind === 'anonymous' ? 'http' : identity.subject, () => next());
  });

  const limitBody = bodyLimit({
    maxSize: config.maxBodyBytes,
    onError: (c) => detail(c, 413, `The body is larger than ${config.maxBodyBytes} bytes (HTTP_MAX_BODY_BYTES).`),
  });
  app.use('/v1/*', limitBody);
  app.use('/messages', limitBody);
  app.use('/memory/*', limitBody);
  app.use('/:namespace/messages', limitBody);
  const requestTimeout = timeout(
    config.requestTimeoutMs,
    () =>
      new HTTPException(503, {
        message: `The request took longer than ${config.requestTimeoutMs} ms (HTTP_REQUEST_TIMEOUT_MS).`,
      }),
  );
  // The live activity stream is meant to stay open.
  app.use('/v1/*', (c, next) => (c.req.path === ACTIVITY_STREAM_PATH ? next() : requestTimeout(c, next)));

  // Public routes.
  app.get('/', (c) =>
    c.json({
      name: 'agent-memory',
      version: VERSION,
      docs: '/docs',
      openapi: '/openapi.json',
      mcp: '/mcp',
      sse: '/sse',
      dashboard: '/ui',
    }),
  );
  docsRoutes(app);
  const protectedResource = (c: Context<AppEnv>) => {
    if (config.auth.mode !== 'oauth2' || !config.auth.oauth2) {
      return detail(c, 404, 'This server does not use OAuth2 (AUTH_MODE is not oauth2).');
    }
    return c.json({
      resource: baseUrl(config, c),
      authorization_servers: [config.auth.oauth2.issuer],
      scopes_supported: [...SCOPES_SUPPORTED],
      bearer_methods_supported: ['header'],
      resource_name: 'agent-memory',
      resource_documentation: `${baseUrl(config, c)}/docs`,
    });
  };
  // RFC 9728: clients look here for the authorization server; the suffixed form is for /mcp-specific discovery.
  app.get('/.well-known/oauth-protected-resource', protectedResource);
  app.get('/.well-known/oauth-protected-resource/*', protectedResource);

  // REST.
  systemRoutes(app);
  activityRoutes(app, startedAt);
  workingMemoryRoutes(app);
  // optimize_query waits at most half the request budget for the model, then searches with the text as given.
  const optimize = { optimizeBudgetMs: Math.max(1, Math.floor(config.requestTimeoutMs / 2)) };
  longTermRoutes(app, optimize);
  promptRoutes(app, optimize);
  taskRoutes(app);
  summaryViewRoutes(app);
  agentMemoryServiceRoutes(app, engine);
  agentMemoryRoutes(app);
  queryCacheRoutes(app, engine.queryCache);
  dashboard.routes(app);

  app.get('/metrics', async (c) => {
    const identity = c.get('identity');
    // Store-wide figures: a token confined to a namespace, even an admin one, must not see the others' counts.
    if (identity.access !== 'admin' || identity.namespace !== null) {
      return detail(c, 403, '/metrics needs an admin token that is not confined to a namespace.');
    }
    const s = await stats.stats(null);
    const cache = engine.queryCache.stats();
    const text = metrics.render([
      {
        name: 'agent_memory_long_term_memories',
        help: 'Long-term memories in the store.',
        value: s.long_term_memories,
      },
      {
        name: 'agent_memory_working_memory_sessions',
        help: 'Working-memory sessions in the store.',
        value: s.working_memory_sessions,
      },
      {
        name: 'agent_memory_mcp_open_sessions',
        help: 'Open MCP sessions (Streamable HTTP and SSE).',
        value: mcp.openSessions,
      },
      {
        name: 'agent_memory_llm_available',
        help: 'Whether a chat model is configured (1) or the LLM features run degraded (0).',
        value: engine.llmStatus().available ? 1 : 0,
      },
      { name: 'agent_memory_query_cache_entries', help: 'Answers in the search query cache.', value: cache.entries },
      {
        name: 'agent_memory_query_cache_hits',
        help: 'Searches answered from the query cache since start.',
        value: cache.hits,
      },
      {
        name: 'agent_memory_query_cache_misses',
        help: 'Searches the query cache could not answer since start.',
        value: cache.misses,
      },
      ...llmUsageSamples(llmUsage()),
    ]);
    return c.body(text, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' });
  });

  // MCP: /mcp and /sse, optionally under a namespace that becomes the connection's default.
  const namespaceOf = (c: Context<AppEnv>): string | undefined | Response => {
    const raw = c.req.param('namespace');
    if (raw === undefined) return undefined;
    const parsed = Identifier.safeParse(raw);
    if (!parsed.success)
      return detail(c, 400, `The namespace in the URL is invalid: ${parsed.error.issues[0]?.message}`);
    if (RESERVED_NAMESPACES.has(parsed.data)) {
      return detail(c, 404, `"/${parsed.data}" is not a namespace; MCP is served at /mcp, /sse and /{namespace}/mcp.`);
    }
    const own = c.get('identity').namespace;
    if (own !== null && own !== parsed.data) {
      return detail(c, 403, `This token is confined to namespace "${own}"; connect to /${own}/mcp or /mcp.`);
    }
    return parsed.data;
  };
  const withNamespace =
    (handler: (c: Context<AppEnv>, ns: string | undefined) => Promise<Response>) => async (c: Context<AppEnv>) => {
      const ns = namespaceOf(c);
      return ns instanceof Response ? ns : handler(c, ns);
    };
  const streamable = withNamespace((c, ns) => mcp.streamable(c, ns));
  const sse = withNamespace((c, ns) => mcp.openSse(c, ns));
  for (const path of ['/mcp', '/:namespace/mcp']) app.on(['GET', 'POST', 'DELETE'], path, streamable);
  for (const path of ['/sse', '/:namespace/sse']) app.get(path, sse);
  for (const path of ['/messages', '/:namespace/messages']) app.post(path, (c) => mcp.postSseMessage(c));

  // The OpenAPI document is built once, on first request.
  app.openAPIRegistry.registerComponent('securitySchemes', 'bearerAuth', {
    type: 'http',
    scheme: 'bearer',
    description: 'An agent-memory token (agent-memory token add) or an OAuth2 access token (JWT).',
  });
  let document: unknown;
  app.get('/openapi.json', (c) => {
    document ??= app.getOpenAPI31Document({
      openapi: '3.1.0',
      info: {
        title: 'agent-memory',
        version: VERSION,
        description:
          'Working and long-term memory for AI agents. REST compatible with Redis Agent Memory Server; MCP at /mcp ' +
          '(Streamable HTTP) and /sse (legacy SSE). Errors are {"detail": "..."}.',
      },
    });
    return c.json(document);
  });

  return {
    app,
    mcp,
    metrics,
    close: () => mcp.close(),
  };
}

function routePathOr(c: Context, fallback: string): string {
  try {
    const path = routePath(c);
    return path && path !== '/*' && path !== '*' ? path : fallback;
  } catch {
    return fallback;
  }
}

export { AuthFailure };
