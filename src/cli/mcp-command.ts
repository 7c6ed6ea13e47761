import { parseArgs } from 'node:util';
import { type Config, ConfigError, type HttpConfig } from '../config.js';
import { openEngine } from '../core/engine.js';

const MODES = ['stdio', 'sse', 'streamable-http'] as const;
const TASK_BACKENDS = ['asyncio', 'docket'] as const;

/**
 * `agent-memory mcp [--mode stdio|sse|streamable-http] [--port 9000] [--task-backend asyncio|docket] [--host H]`,
 * with the reference server's flags and defaults. stdio serves on stdin/stdout. sse and streamable-http run the
 * HTTP server of `agent-memory api` (one server for both MCP transports: Streamable HTTP at /mcp, SSE at /sse with
 * POST /messages, each also under /{namespace}/, beside REST) on --port, else MCP_PORT (9000). --task-backend
 * docket leaves background tasks to `agent-memory worker` processes (the api's --no-worker); asyncio, the default,
 * runs them in this process.
 */
export async function mcpCommand(args: string[], config: Config, http: () => HttpConfig): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      mode: { type: 'string', default: 'stdio' },
      port: { type: 'string' },
      host: { type: 'string' },
      'task-backend': { type: 'string', default: 'asyncio' },
    },
  });
  const mode = values.mode as (typeof MODES)[number];
  if (!MODES.includes(mode)) {
    throw new ConfigError(`--mode: expected one of ${MODES.join(', ')}, got "${values.mode}"`);
  }
  const backend = values['task-backend'] as (typeof TASK_BACKENDS)[number];
  if (!TASK_BACKENDS.includes(backend)) {
    throw new ConfigError(`--task-backend: expected one of ${TASK_BACKENDS.join(', ')}, got "${backend}"`);
  }
  const worker = backend === 'asyncio';
  if (mode === 'stdio') {
    for (const flag of ['port', 'host'] as const) {
      if (values[flag] !== undefined) {
        throw new ConfigError(`--${flag} is for --mode sse or streamable-http; stdio serves on stdin/stdout`);
      }
    }
    const { serveStdio } = await import('../mcp/stdio.js');
    return serveStdio(await openEngine(config, { autoStartWorker: worker }), { backgroundWork: worker });
  }
  const settings = http();
  const port = values.port ?? String(settings.mcpPort);
  if (!/^\d+$/.test(port.trim())) throw new ConfigError(`--port: expected 0–65535, got "${values.port}"`);
  const { apiCommand } = await import('../http/api-command.js');
  return apiCommand(
    ['--port', port.trim(), ...(values.host ? ['--host', values.host] : []), ...(worker ? [] : ['--no-worker'])],
    config,
    settings,
  );
}
