import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { z } from 'zod';
import { TOOLS } from '../../tools/index.js';
import { nullable } from '../../tools/reference-args.js';
import type { ToolContext } from '../../tools/types.js';
import type { AccessScope } from '../auth/identity.js';
import { scopeEngine } from '../auth/scoped-engine.js';
import type { Engine } from '../core/engine.js';
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

export function createMcpServer(engine: Engine, opts: McpServerOptions = {}): McpServer {
  const server = new McpServer(
    { name: 'agent-memory', version: VERSION },
    {
      capabilities: { logging: {} },
      instructions:
        'Memory for this conversation and across conversations. Search long-term memory (search_memory) before ' +
        'answering questions that may depend on earlier conversations; store durable facts with ' +
        'create_long_term_memories, written with names and absolute dates.',
    },
  );
  // A confined caller's own namespace/user is its default, so calls that name none stay inside the scope.
  const defaults = {
    namespace: opts.scope?.namespace ?? opts.defaults?.namespace ?? engine.config.defaultNamespace,
    user_id: opts.scope?.user_id ?? opts.defaults?.user_id ?? engine.config.defaultUserId,
  };
  const api = scopeEngine(engine, opts.scope);
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
  registerResources(server, api, defaults, engine.changes, opts.scope);
  registerPrompts(server, api, defaults);
  return server;
}
