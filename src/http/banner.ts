import { resolve } from 'node:path';
import type { Config, HttpConfig } from '../config.js';
import { redactDatabaseUrl } from '../store/postgres/url.js';
import { redactUrl } from '../store/redis/url.js';

/** Where the memories live, as the banner names it; a Redis password is never printed. */
function storeLine(config: Config): string {
  if (config.backend === 'sqlite') return `SQLite ${config.sqlitePath}`;
  if (config.backend === 'redis')
    return `Redis ${redactUrl(config.redis.url)} (key prefix "${config.redis.keyPrefix}")`;
  if (config.backend === 'postgres') {
    const schema = config.postgres.schema ? ` (schema "${config.postgres.schema}")` : '';
    return `PostgreSQL ${redactDatabaseUrl(config.postgres.url)}${schema}`;
  }
  return 'in-memory (lost on exit)';
}

/** Whether the store's URL holds a password the banner leaves out. */
const urlPassword = (config: Config) =>
  (config.backend === 'redis' && redactUrl(config.redis.url) !== config.redis.url) ||
  (config.backend === 'postgres' && redactDatabaseUrl(config.postgres.url) !== config.postgres.url);

/** The environment a stdio server needs to open the same store (the Redis password left out, as `***`). */
function stdioEnv(config: Config): Record<string, string> {
  if (config.backend === 'sqlite') return { SQLITE_PATH: config.sqlitePath };
  if (config.backend === 'redis') {
    return {
      MEMORY_BACKEND: 'redis',
      REDIS_URL: redactUrl(config.redis.url),
      ...(config.redis.keyPrefix === 'agent-memory' ? {} : { REDIS_KEY_PREFIX: config.redis.keyPrefix }),
    };
  }
  if (config.backend === 'postgres') {
    return {
      MEMORY_BACKEND: 'postgres',
      DATABASE_URL: redactDatabaseUrl(config.postgres.url),
      ...(config.postgres.schema ? { POSTGRES_SCHEMA: config.postgres.schema } : {}),
    };
  }
  return { MEMORY_BACKEND: 'memory' };
}

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
        env: stdioEnv(config),
      },
    },
  };
  const cursor = { mcpServers: { memory: { url: `${url}/mcp`, ...headers } } };
  // Tokens live in the SQLite file at SQLITE_PATH whatever the backend (docs/http.md, "Token mode").
  const tokenFile =
    config.backend === 'redis' || config.backend === 'postgres' ? ` (token table in SQLite ${config.sqlitePath})` : '';
  const authNote =
    http.auth.mode === 'token'
      ? `\nAuth: token${tokenFile}. Create one with: agent-memory token add --namespace NAME --scope write   (replace <TOKEN>)`
      : http.auth.mode === 'oauth2'
        ? `\nAuth: OAuth2 (issuer ${http.auth.oauth2?.issuer}); metadata at ${url}/.well-known/oauth-protected-resource`
        : '\nAuth: disabled (loopback only).';
  const store = storeLine(config);
  return `agent-memory API listening on ${url}
  REST          ${url}/v1/...          (docs ${url}/docs, spec ${url}/openapi.json)
  MCP           ${url}/mcp             (Streamable HTTP; ${url}/<namespace>/mcp sets the default namespace)
  MCP (legacy)  ${url}/sse             (SSE, POST ${url}/messages)
  Health        ${url}/v1/health       Metrics ${url}/metrics
  Dashboard     ${url}/ui              (agent-memory ui opens it)
  Store         ${store}${authNote}

Claude Desktop (claude_desktop_config.json; stdio, same database${urlPassword(config) ? `; put the ${config.backend === 'redis' ? 'Redis' : 'PostgreSQL'} password in place of ***` : ''}):
${JSON.stringify(claude, null, 2)}

Cursor (~/.cursor/mcp.json):
${JSON.stringify(cursor, null, 2)}

MCP Inspector:
  npx @modelcontextprotocol/inspector --cli ${url}/mcp --transport http --method tools/list
  npx @modelcontextprotocol/inspector    (UI: transport "Streamable HTTP", URL ${url}/mcp)
`;
}
