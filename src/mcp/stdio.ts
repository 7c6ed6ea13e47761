import type { Engine } from '../core/engine.js';
import { log } from '../util/log.js';
import { createMcpServer } from './server.js';
import { LineStdioTransport } from './stdio-transport.js';

const WARM_UP_FALLBACK_MS = 2_000;

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
  // The models load once the client has its tool list: their parsing blocks the event loop for a few hundred ms,
  // which must not delay the replies to initialize and tools/list the client is waiting for. Starting them on
  // `initialized` was too early: a client sends tools/list after it, often in a later read, which then waited.
  let warmed = false;
  const warmUp = () => {
    if (warmed) return;
    warmed = true;
    transport.onanswered = undefined;
    clearTimeout(fallback);
    engine.warmUp();
  };
  transport.onanswered = (method) => {
    if (method === 'tools/list') setImmediate(warmUp);
  };
  // A client that never lists the tools still gets warm models soon.
  const fallback = setTimeout(warmUp, WARM_UP_FALLBACK_MS);
  fallback.unref();
  await server.connect(transport);
  if (opts.backgroundWork ?? true) await engine.startBackgroundWork({ warmUp: false });
  else log.info('task worker off (--task-backend docket): tasks wait for an `agent-memory worker` process');
  log.info('MCP server ready on stdio', { store: engine.store.kind, embedder: engine.embedder.model });
}
