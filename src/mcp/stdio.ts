import type { Engine } from '../core/engine.js';
import { log } from '../util/log.js';
import { createMcpServer } from './server.js';
import { LineStdioTransport } from './stdio-transport.js';

/**
 * Serves MCP on stdin/stdout until the client closes the pipe or a signal arrives. `backgroundWork: false` only
 * queues background tasks, for `agent-memory worker` processes to run (`mcp --task-backend docket`).
 */
export async function serveStdio(engine: Engine, opts: { backgroundWork?: boolean } = {}): Promise<void> {
  const server = createMcpServer(engine);
  const transport = new LineStdioTransport();
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await server.close().catch(() => {});
    await engine.close();
    process.exit(0);
  };
  transport.onclose = () => void shutdown();
  process.stdin.on('end', () => void shutdown());
  process.on('SIGINT', () => void shutdown());
  process.on('SIGTERM', () => void shutdown());
  await server.connect(transport);
  if (opts.backgroundWork ?? true) await engine.startBackgroundWork();
  else log.info('task worker off (--task-backend docket): tasks wait for an `agent-memory worker` process');
  log.info('MCP server ready on stdio', { store: engine.store.kind, embedder: engine.embedder.model });
}
