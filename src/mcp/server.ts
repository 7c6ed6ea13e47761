import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  type CallToolResult,
  type JSONRPCMessage,
  type JSONRPCRequest,
  LATEST_PROTOCOL_VERSION,
  ListToolsRequestSchema,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { TOOLS } from '../../tools/index.js';
import { nullable } from '../../tools/reference-args.js';
import type { ToolContext } from '../../tools/types.js';
import type { AccessScope } from '../auth/identity.js';
import { scopeEngine } from '../auth/scoped-engine.js';
import type { Engine, MemoryEngine } from '../core/engine.js';
import { MemoryError } from '../errors.js';
import { currentActor, withActor } from '../util/actor.js';
import { log } from '../util/log.js';
import { VERSION } from '../version.js';
import { registerPrompts } from './prompts.js';
import { registerResources } from './resources.js';

export interface McpServerOptions {
  defaults?: { namespace?: string; user_id?: string };
  /** Confines every tool to this caller's namespace/user and access level (HTTP with auth). */
  scope?: AccessScope;
  /** Observes each tool call (metrics). */
  onToolCall?: (tool: string, outcome: 'ok' | 'error', seconds: number) => void;
  /**
   * The tools/list result as toolsListJson() gives it: the stdio bundle has it from its build
   * (scripts/bundle-mcp.mjs), so a cold start does not convert the tools' schemas before its first reply.
   */
  toolsList?: string;
}

/** Turns a failure into a tool result an agent can read; unexpected errors are logged, not leaked as stacks. */
function errorResult(tool: string, err: unknown): CallToolResult {
  if (err instanceof MemoryError) return { isError: true, content: [{ type: 'text', text: err.message }] };
  log.error(`tool ${tool} failed`, { error: err instanceof Error ? (err.stack ?? err.message) : String(err) });
  const detail = err instanceof Error ? err.message : String(err);
  return { isError: true, content: [{ type: 'text', text: `${tool} failed: ${detail}` }] };
}

/** "mcp:<client name>", and the HTTP caller it came through when there is one ("mcp:cursor via token:ab12"). */
function mcpActor(server: McpServer): string {
  const client = server.server.getClientVersion()?.name ?? 'unknown client';
  const outer = currentActor();
  return outer === 'server' ? `mcp:${client}` : `mcp:${client} via ${outer}`;
}

const newServer = () =>
  new McpServer(
    { name: 'agent-memory', version: VERSION },
    {
      capabilities: { logging: {} },
      instructions:
        'Memory for this conversation and across conversations. Search long-term memory (search_memory) before ' +
        'answering questions that may depend on earlier conversations; store durable facts with ' +
        'create_long_term_memories, written with names and absolute dates.',
    },
  );

function registerTools(
  server: McpServer,
  api: MemoryEngine,
  defaults: ToolContext['defaults'],
  opts: Pick<McpServerOptions, 'scope' | 'onToolCall'>,
): void {
  for (const tool of TOOLS) {
    server.registerTool(
      tool.name,
      {
        title: tool.title,
        description: tool.description,
        // Strict: an argument this server does not know is refused with its name, never dropped unread. A null
        // argument means "not given", as the reference server's clients (pydantic `X | None`) send it.
        inputSchema: z.object(nullable(tool.input as Record<string, z.ZodType>)).strict(),
        outputSchema: tool.output,
        annotations: { title: tool.title, ...tool.annotations },
      },
      async (args: Record<string, unknown>, extra): Promise<CallToolResult> => {
        const token = extra._meta?.progressToken;
        const ctx: ToolContext = {
          engine: api,
          defaults,
          scope: opts.scope,
          progress: async (progress, total, message) => {
            if (token === undefined) return;
            await extra.sendNotification({
              method: 'notifications/progress',
              params: { progressToken: token, progress, total, message },
            });
          },
        };
        const started = performance.now();
        try {
          // A null that became "not given" leaves no key behind: `{...current, ...patch}` must not clear a field.
          const given = Object.fromEntries(Object.entries(args).filter(([, v]) => v !== undefined));
          const out = (await withActor(mcpActor(server), () => tool.run(given as never, ctx))) as Record<
            string,
            unknown
          >;
          opts.onToolCall?.(tool.name, 'ok', (performance.now() - started) / 1000);
          return { content: [{ type: 'text', text: JSON.stringify(out) }], structuredContent: out };
        } catch (err) {
          opts.onToolCall?.(tool.name, 'error', (performance.now() - started) / 1000);
          return errorResult(tool.name, err);
        }
      },
    );
  }
}

/** Connects `server` to an in-process client and sends it `requests`; resolves with their results, in order. */
async function ask(server: McpServer, requests: Omit<JSONRPCRequest, 'jsonrpc' | 'id'>[]): Promise<unknown[]> {
  const [ours, theirs] = InMemoryTransport.createLinkedPair();
  const replies = new Map<unknown, JSONRPCMessage>();
  let got: () => void = () => {};
  ours.onmessage = (m) => {
    if ('id' in m) replies.set(m.id, m);
    got();
  };
  await server.connect(theirs);
  await ours.start();
  const results: unknown[] = [];
  for (const [i, request] of requests.entries()) {
    const answered = new Promise<void>((resolve) => {
      got = () => replies.has(i) && resolve();
    });
    await ours.send({ jsonrpc: '2.0', id: i, ...request });
    await answered;
    const reply = replies.get(i);
    if (!reply || !('result' in reply)) throw new Error(`${request.method} failed: ${JSON.stringify(reply)}`);
    // Through JSON, as a client receives it: absent optional fields (`_meta: undefined`) leave no key.
    results.push(JSON.parse(JSON.stringify(reply.result)));
  }
  await server.close();
  return results;
}

/**
 * The tools/list result, as JSON: what the SDK's own tools/list handler answers for these tools, its conversion of
 * their zod schemas to JSON Schema (40-70 ms). It depends on nothing but the tools, so every server of this process
 * answers from one conversion, and the stdio bundle has it from its build (earlyRepliesJson).
 */
export async function toolsListJson(): Promise<string> {
  const server = newServer();
  // The handlers never run here: no engine is needed.
  registerTools(server, {} as MemoryEngine, {}, {});
  const [list] = await ask(server, [{ method: 'tools/list', params: {} }]);
  return JSON.stringify(list);
}

/** What stdio-main.ts answers before the server is loaded (earlyReply there). */
export interface EarlyReplies {
  /** The initialize result but its protocolVersion: the client's own when the SDK supports it, else its latest. */
  initialize: Record<string, unknown>;
  protocolVersions: string[];
  latestProtocolVersion: string;
  /** toolsListJson() */
  toolsList: string;
}

/**
 * EarlyReplies as JSON, from a server wired as createMcpServer wires every server: scripts/bundle-mcp.mjs computes it
 * at build time and writes it into the stdio bundle.
 */
export async function earlyRepliesJson(): Promise<string> {
  // All createMcpServer reads of an engine while wiring a server: what it answers cannot depend on the engine.
  const wiring = { config: {}, changes: { subscribe: () => () => {} } } as unknown as Engine;
  const [init] = await ask(createMcpServer(wiring), [
    {
      method: 'initialize',
      params: {
        protocolVersion: LATEST_PROTOCOL_VERSION,
        capabilities: {},
        clientInfo: { name: 'build', version: '0' },
      },
    },
  ]);
  const { protocolVersion: _, ...initialize } = init as Record<string, unknown>;
  const replies: EarlyReplies = {
    initialize,
    protocolVersions: SUPPORTED_PROTOCOL_VERSIONS,
    latestProtocolVersion: LATEST_PROTOCOL_VERSION,
    toolsList: await toolsListJson(),
  };
  return JSON.stringify(replies);
}

let converted: Promise<string> | undefined;

/**
 * An MCP server of the engine's tools, resources and prompts. What it answers to initialize and tools/list must depend
 * on nothing but this code, not on the engine nor the configuration: the stdio bundle answers those two before either
 * exists (stdio-main.ts).
 */
export function createMcpServer(engine: Engine, opts: McpServerOptions = {}): McpServer {
  const server = newServer();
  // A confined caller's own namespace/user is its default, so calls that name none stay inside the scope.
  const defaults = {
    namespace: opts.scope?.namespace ?? opts.defaults?.namespace ?? engine.config.defaultNamespace,
    user_id: opts.scope?.user_id ?? opts.defaults?.user_id ?? engine.config.defaultUserId,
  };
  const api = scopeEngine(engine, opts.scope);
  registerTools(server, api, defaults, opts);
  // In place of the SDK's handler, which converts the schemas again at every tools/list: the same result.
  const { toolsList } = opts;
  server.server.setRequestHandler(ListToolsRequestSchema, async () => {
    if (toolsList !== undefined) return JSON.parse(toolsList);
    converted ??= toolsListJson();
    return JSON.parse(await converted);
  });
  registerResources(server, api, defaults, engine.changes, opts.scope);
  registerPrompts(server, api, defaults);
  return server;
}
