import { resolve } from 'node:path';
import type { Config, HttpConfig } from '../config.js';

/**
 * What `agent-memory api` prints on start: where everything is, and client configurations ready to paste.
 * Printed on stdout (it is the command's output); logs stay on stderr.
 */
export function startupBanner(url: string, http: HttpConfig, config: Config): string {
  const token = http.auth.mode === 'disabled' ? undefined : '<TOKEN>';
  const headers = token ? { headers: { Authorization: `Bearer ${token}` } } : {};
  const cliPath = resolve(process.argv[1] ?? 'dist/src/cli.js');
  const claude = {
    mcpServers: {
      memory: {
        command: process.execPath,
        args: [cliPath, 'mcp'],
        env: config.backend === 'sqlite' ? { SQLITE_PATH: config.sqlitePath } : { MEMORY_BACKEND: 'memory' },
      },
    },
  };
  const cursor = { mcpServers: { memory: { url: `${url}/mcp`, ...headers } } };
  const authNote =
    http.auth.mode === 'token'
      ? '\nAuth: token. Create one with: agent-memory token add --namespace NAME --scope write   (replace <TOKEN>)'
      : http.auth.mode === 'oauth2'
        ? `\nAuth: OAuth2 (issuer ${http.auth.oauth2?.issuer}); metadata at ${url}/.well-known/oauth-protected-resource`
        : '\nAuth: disabled (loopback only).';
  const store = config.backend === 'sqlite' ? `SQLite ${config.sqlitePath}` : 'in-memory (lost on exit)';
  return `agent-memory API listening on ${url}
  REST          ${url}/v1/...          (docs ${url}/docs, spec ${url}/openapi.json)
  MCP           ${url}/mcp             (Streamable HTTP; ${url}/<namespace>/mcp sets the default namespace)
  MCP (legacy)  ${url}/sse             (SSE, POST ${url}/messages)
  Health        ${url}/v1/health       Metrics ${url}/metrics
  Store         ${store}${authNote}

Claude Desktop (claude_desktop_config.json; stdio, same database):
${JSON.stringify(claude, null, 2)}

Cursor (~/.cursor/mcp.json):
${JSON.stringify(cursor, null, 2)}

MCP Inspector:
  npx @modelcontextprotocol/inspector --cli ${url}/mcp --transport http --method tools/list
  npx @modelcontextprotocol/inspector    (UI: transport "Streamable HTTP", URL ${url}/mcp)
`;
}
