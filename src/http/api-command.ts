import { parseArgs } from 'node:util';
import { type Config, ConfigError, type HttpConfig } from '../config.js';
import { openEngine } from '../core/engine.js';
import { log } from '../util/log.js';
import { startupBanner } from './banner.js';
import { checkBindSafety, startHttpServer } from './server.js';
import { joinPrimary, parseWorkers, runPrimary, workerIndex } from './workers.js';

/**
 * `agent-memory api [--port 8000] [--host 127.0.0.1] [--insecure-no-auth] [--no-worker] [--workers N]`: serves
 * until SIGTERM/SIGINT. `onReady` gets the server's URL once it answers (`agent-memory ui` opens the dashboard
 * then). With `--workers N` (or `auto`, one per core) this process forks N servers sharing the port and the store
 * (workers.ts); the first of them runs the background work.
 */
export async function apiCommand(
  args: string[],
  config: Config,
  http: HttpConfig,
  onReady?: (url: string) => void,
): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      port: { type: 'string' },
      host: { type: 'string' },
      'insecure-no-auth': { type: 'boolean', default: false },
      // Only enqueue background tasks; `agent-memory worker` processes run them.
      'no-worker': { type: 'boolean', default: false },
      workers: { type: 'string' },
    },
  });
  const index = workerIndex();
  const workers = index === undefined ? parseWorkers(values.workers) : 1;
  const port = values.port === undefined ? http.port : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65_535)
    throw new ConfigError(`--port: expected 0–65535, got "${values.port}"`);
  const settings: HttpConfig = { ...http, port, host: values.host?.trim() || http.host };
  // Checked before the store opens, so a refused start leaves nothing behind.
  checkBindSafety(settings, values['insecure-no-auth']);
  if (settings.auth.mode === 'token' && config.backend === 'memory') {
    log.warn(
      'AUTH_MODE=token with MEMORY_BACKEND=memory: the token table lives in this process only, so `agent-memory token add` cannot reach it; use the sqlite backend.',
    );
  }
  const announce = (url: string) => {
    process.stdout.write(`${startupBanner(url, settings, config)}\n`);
    log.info('HTTP server ready', { url, workers, auth: settings.auth.mode, store: config.backend });
    onReady?.(url);
  };
  if (workers > 1) {
    await runPrimary(workers, config, announce, (code) => process.exit(code));
    return;
  }
  // One task worker and one compaction schedule for all API workers: the first one's.
  const noWorker = values['no-worker'] || (index !== undefined && index > 1);
  const engine = await openEngine(config, { autoStartWorker: !noWorker });
  // LLM features: task worker and compaction schedule (src/core/background.ts), unless workers run elsewhere.
  if (values['no-worker']) log.info('task worker off (--no-worker): tasks wait for an `agent-memory worker` process');
  else if (!noWorker) await engine.startBackgroundWork();
  const ports = new Map<number, number>();
  const server = await startHttpServer(engine, settings, {
    insecureNoAuth: values['insecure-no-auth'],
    ...(index === undefined ? {} : { worker: { index, portOf: (n: number) => ports.get(n) } }),
  });

  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: draining in-flight requests, then stopping`);
    server.close().then(
      () => process.exit(0),
      (err: unknown) => {
        log.error('shutdown failed', { error: err instanceof Error ? err.message : String(err) });
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  if (index !== undefined) {
    // The primary announces the URL once every worker serves; a worker whose primary is gone stops too.
    process.on('disconnect', () => stop('primary gone'));
    joinPrimary(server.url, server.privatePort!, ports);
    return;
  }
  // Announced only once the handlers are in place: whoever waits for the banner may send SIGTERM at once, and a
  // signal with no handler yet would kill the process without draining.
  announce(server.url);
}
