import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export type McpTransportKind = 'http' | 'sse';

/** A real SDK client over Streamable HTTP (`/mcp`) or legacy SSE (`/sse`), optionally with a bearer token. */
export async function connectMcp(url: string, kind: McpTransportKind, token?: string): Promise<Client> {
  const requestInit = token ? { headers: { Authorization: `Bearer ${token}` } } : undefined;
  const transport =
    kind === 'http'
      ? new StreamableHTTPClientTransport(new URL(url), { requestInit })
      : new SSEClientTransport(new URL(url), { requestInit });
  const client = new Client({ name: 'http-test', version: '0' });
  await client.connect(transport);
  return client;
}

export async function callTool(client: Client, name: string, args: Record<string, unknown>) {
  return (await client.callTool({ name, arguments: args })) as CallToolResult;
}

export const toolText = (r: CallToolResult) => r.content.map((c) => (c.type === 'text' ? c.text : '')).join('');
