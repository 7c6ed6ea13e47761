import { exitOnFailure, readSettings } from '../cli/start.js';
import { loadConfig } from '../config.js';
import { type Engine, openEngine } from '../core/engine.js';
import { log } from '../util/log.js';
import { createMcpServer } from './server.js';
import type { EarlyStart } from './stdio-main.js';
import { LineStdioTransport } from './stdio-transport.js';

const WARM_UP_FALLBACK_MS = 2_000;

interface StdioOptions {
  /** false only queues background tasks, for `agent-memory worker` processes to run (`mcp --task-backend docket`). */
  backgroundWork?: boolean;
  /** The tools/list result computed at build time (createMcpServer). */
  toolsList?: string;
  /** What stdio-main.ts read and answered before the server was loaded. */
  early?: EarlyStart;
}

/**
 * `agent-memory mcp` without flags, from stdio-main.ts: the settings, the engine, then serveStdio. A failure to start
 * ends the process as any command's does.
 */
export async function startStdio(opts: Pick<StdioOptions, 'toolsList' | 'early'>): Promise<void> {
  try {
    readSettings();
    await serveStdio(await openEngine(loadConfig()), opts);
  } catch (err) {
    exitOnFailure(err);
  }
}

/** Serves MCP on stdin/stdout until the client closes the pipe or a signal arrives. */
export async function serveStdio(engine: Engine, opts: StdioOptions = {}): Promise<void> {
  const server = createMcpServer(engine, { toolsList: opts.toolsList });
  const input = opts.early?.input ?? process.stdin;
  const transport = new LineStdioTransport(input, process.stdout, opts.early?.initialize);
  let closing = false;
  const shutdown = async () => {
    if (closing) return;
    closing = true;
    await server.close().catch(() => {});
    await engine.close();
    process.exit(0);
  };
  transport.onclose = () => void shutdown();
  input.on('end', () => void shutdown());
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
  // A client that never lists the tools still gets warm models soon; one that has its list (answered early) now.
  const fallback = setTimeout(warmUp, opts.early?.listed ? 0 : WARM_UP_FALLBACK_MS);
  fallback.unref();
  await server.connect(transport);
  if (opts.backgroundWork ?? true) await engine.startBackgroundWork({ warmUp: false });
  else log.info('task worker off (--task-backend docket): tasks wait for an `agent-memory worker` process');
  log.info('MCP server ready on stdio', { store: engine.store.kind, embedder: engine.embedder.model });
}
