import { parseArgs } from 'node:util';
import { type Config, ConfigError } from '../config.js';
import { openEngine } from '../core/engine.js';
import { log } from '../util/log.js';

/**
 * `agent-memory worker`: runs only the background task worker (extraction, promotion, enrichment, compaction) on
 * the configured store, claiming tasks with leases, so any number of workers and API servers can share one store.
 * SIGTERM/SIGINT stop claiming, let the running task finish for up to --grace seconds, then release it.
 */
export async function workerCommand(args: string[], config: Config): Promise<void> {
  const { values } = parseArgs({ args, options: { grace: { type: 'string', default: '10' } } });
  const graceMs = Number(values.grace) * 1000;
  if (!Number.isFinite(graceMs) || graceMs < 0) {
    throw new ConfigError(`--grace: expected a number of seconds, got "${values.grace}"`);
  }
  const engine = await openEngine(config, { autoStartWorker: false });
  await engine.startBackgroundWork();
  const worker = engine.llm.background.worker;
  log.info('task worker ready', { store: engine.store.kind, owner: worker.owner });
  process.stderr.write(`agent-memory worker ${worker.owner} running on ${engine.store.kind}\n`);
  // The worker's timers are unref'd (so one-shot commands can exit); this keeps the process alive until a signal.
  const keepAlive = setInterval(() => {}, 1 << 30);
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: finishing the current task, then stopping`);
    worker
      .stop(graceMs)
      .then(() => engine.close())
      .then(
        () => {
          clearInterval(keepAlive);
          process.exit(0);
        },
        (err: unknown) => {
          log.error('shutdown failed', { error: err instanceof Error ? err.message : String(err) });
          process.exit(1);
        },
      );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
