import { randomUUID } from 'node:crypto';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SSEServerTransport } from '@modelcontextprotocol/sdk/server/sse.js';
import { WebStandardStreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js';
import type { Context } from 'hono';
import type { Identity } from '../auth/identity.js';
import type { Engine } from '../core/engine.js';
import { createMcpServer } from '../mcp/server.js';
import { log } from '../util/log.js';
import type { AppEnv } from './env.js';
import { detail } from './errors.js';

export interface McpHttpOptions {
  stateless: boolean;
  sessionIdleSeconds: number;
  maxSessions: number;
  /** MCP_MAX_SESSIONS_PER_CALLER: one token (or OAuth2 subject) cannot take the whole pool. */
  maxSessionsPerCaller: number;
  maxBodyBytes: number;
  onToolCall: (tool: string, outcome: 'ok' | 'error', seconds: number) => void;
  /** Extra headers for the raw SSE response, which bypasses Hono's middleware (CORS). */
  sseHeaders: (c: Context<AppEnv>) => Record<string, string>;
  /**
   * With `agent-memory api --workers N`, this process's worker number: its session ids name it (`w2-…`, and
   * `worker=2` in an SSE session's message URL), so any worker can hand a session's requests to the one holding it
   * (workers.ts).
   */
  worker?: number;
}

interface Session {
  transport: WebStandardStreamableHTTPServerTransport | SSEServerTransport;
  server: McpServer;
  /** Only the caller that opened a session may use it: another token gets "session not found". */
  subject: string;
  lastSeen: number;
}

const rpcError = (status: 400 | 404 | 429 | 503, code: number, message: string) =>
  new Response(JSON.stringify({ jsonrpc: '2.0', error: { code, message }, id: null }), {
    status,
    headers: { 'Content-Type': 'application/json' },
  });

/**
 * MCP over HTTP: Streamable HTTP at /mcp (sessions keyed by Mcp-Session-Id, or one server per request when
 * stateless) and the legacy SSE transport at /sse + POST /messages. Every session gets its own McpServer built by
 * createMcpServer, confined to the caller's identity, with the namespace from the URL as its default.
 */
export class McpHttp {
  private readonly sessions = new Map<string, Session>();
  private readonly reaper: NodeJS.Timeout;

  constructor(
    private readonly engine: Engine,
    private readonly opts: McpHttpOptions,
  ) {
    this.reaper = setInterval(() => this.reapIdle(), Math.min(60_000, opts.sessionIdleSeconds * 500));
    this.reaper.unref();
  }

  get openSessions(): number {
    return this.sessions.size;
  }

  private newServer(identity: Identity, namespace: string | undefined): McpServer {
    return createMcpServer(this.engine, {
      defaults: namespace ? { namespace } : undefined,
      scope: identity.kind === 'anonymous' ? undefined : identity,
      onToolCall: this.opts.onToolCall,
    });
  }

  /**
   * Why a new session cannot open: this caller holds its share of the pool (429, theirs to fix), or the pool is
   * full (503). Without auth every caller is the same local user, so only the pool counts.
   */
  private refusal(identity: Identity): { status: 429 | 503; message: string } | null {
    if (identity.kind !== 'anonymous') {
      let own = 0;
      for (const s of this.sessions.values()) if (s.subject === identity.subject) own++;
      if (own >= this.opts.maxSessionsPerCaller) {
        return {
          status: 429,
          message:
            `This token already has ${own} open MCP sessions (MCP_MAX_SESSIONS_PER_CALLER=${this.opts.maxSessionsPerCaller}): ` +
            `close some (DELETE /mcp with their Mcp-Session-Id) or let idle ones expire (MCP_SESSION_IDLE_SECONDS=${this.opts.sessionIdleSeconds}).`,
        };
      }
    }
    if (this.sessions.size >= this.opts.maxSessions) {
      return {
        status: 503,
        message: `Too many open MCP sessions (MCP_MAX_SESSIONS=${this.opts.maxSessions}); retry later.`,
      };
    }
    return null;
  }

  private lookup(id: string | undefined, identity: Identity): Session | undefined {
    const s = id ? this.sessions.get(id) : undefined;
    if (!s || s.subject !== identity.subject) return undefined;
    s.lastSeen = Date.now();
    return s;
  }

  /** Handles GET, POST and DELETE on /mcp and /{namespace}/mcp. */
  async streamable(c: Context<AppEnv>, namespace: string | undefined): Promise<Response> {
    const identity = c.get('identity');
    if (this.opts.stateless) return this.statelessRequest(c, identity, namespace);
    const sessionId = c.req.header('mcp-session-id');
    if (sessionId) {
      const s = this.lookup(sessionId, identity);
      if (!s || !(s.transport instanceof WebStandardStreamableHTTPServerTransport)) {
        return rpcError(404, -32001, 'Session not found: it expired or was closed. Initialize a new session.');
      }
      return s.transport.handleRequest(c.req.raw);
    }
    if (c.req.method !== 'POST') {
      return rpcError(
        400,
        -32000,
        'Bad Request: send Mcp-Session-Id, or POST an initialize request to open a session.',
      );
    }
    const full = this.refusal(identity);
    if (full) return rpcError(full.status, -32000, full.message);
    const server = this.newServer(identity, namespace);
    const transport: WebStandardStreamableHTTPServerTransport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: () => `${this.opts.worker === undefined ? '' : `w${this.opts.worker}-`}${randomUUID()}`,
      maxRequestBodySize: this.opts.maxBodyBytes,
      onsessioninitialized: (id) => {
        this.sessions.set(id, { transport, server, subject: identity.subject, lastSeen: Date.now() });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) this.sessions.delete(transport.sessionId);
    };
    await server.connect(transport);
    const response = await transport.handleRequest(c.req.raw);
    // A first request that was not a valid initialize opened nothing: release what was built for it.
    if (!transport.sessionId) await server.close().catch(() => {});
    return response;
  }

  private async statelessRequest(c: Context<AppEnv>, identity: Identity, namespace: string | undefined) {
    if (c.req.method !== 'POST') {
      return rpcError(400, -32000, 'This server runs MCP statelessly (MCP_STATELESS=true): only POST is served.');
    }
    const server = this.newServer(identity, namespace);
    const transport = new WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      enableJsonResponse: true,
      maxRequestBodySize: this.opts.maxBodyBytes,
    });
    await server.connect(transport);
    try {
      return await transport.handleRequest(c.req.raw);
    } finally {
      await server.close().catch(() => {});
    }
  }

  /** GET /sse and /{namespace}/sse: opens the event stream on the raw Node response. */
  async openSse(c: Context<AppEnv>, namespace: string | undefined): Promise<Response> {
    const identity = c.get('identity');
    const full = this.refusal(identity);
    if (full) return detail(c, full.status, full.message);
    const res = c.env.outgoing;
    for (const [k, v] of Object.entries(this.opts.sseHeaders(c))) res.setHeader(k, v);
    const transport = new SSEServerTransport(
      this.opts.worker === undefined ? '/messages' : `/messages?worker=${this.opts.worker}`,
      res,
    );
    const server = this.newServer(identity, namespace);
    const id = transport.sessionId;
    this.sessions.set(id, { transport, server, subject: identity.subject, lastSeen: Date.now() });
    transport.onclose = () => this.sessions.delete(id);
    await server.connect(transport);
    return RESPONSE_ALREADY_SENT;
  }

  /** POST /messages?sessionId=…: one JSON-RPC message for an SSE session; the answer goes down the stream. */
  async postSseMessage(c: Context<AppEnv>): Promise<Response> {
    const s = this.lookup(c.req.query('sessionId'), c.get('identity'));
    if (!s || !(s.transport instanceof SSEServerTransport)) {
      return detail(c, 404, 'Unknown sessionId: open an event stream at /sse first and post to the endpoint it names.');
    }
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      return detail(c, 400, 'The body is not valid JSON; send one JSON-RPC message.');
    }
    try {
      await s.transport.handleMessage(body);
    } catch {
      return detail(c, 400, 'The body is not a JSON-RPC 2.0 message.');
    }
    return c.text('Accepted', 202);
  }

  private reapIdle(now = Date.now()) {
    for (const [id, s] of this.sessions) {
      if (now - s.lastSeen > this.opts.sessionIdleSeconds * 1000) {
        // SSE streams stay open while the client listens; only idle Streamable HTTP sessions are reaped.
        if (s.transport instanceof SSEServerTransport) continue;
        log.debug('closing idle MCP session', { id });
        this.sessions.delete(id);
        void s.server.close().catch(() => {});
      }
    }
  }

  /** Closes every session (shutdown): open event streams end, so the HTTP server can drain. */
  async close(): Promise<void> {
    clearInterval(this.reaper);
    const all = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.all(all.map((s) => s.server.close().catch(() => {})));
  }
}
