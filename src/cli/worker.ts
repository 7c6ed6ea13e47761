import { parseArgs } from 'node:util';
import { type Config, ConfigError } from '../config.js';
import { openEngine } from '../core/engine.js';
import { log } from '../util/log.js';

function seconds(flag: string, value: string, min: number): number {
  const n = Number(value);
  if (!/^\d+(\.\d+)?$/.test(value.trim()) || !Number.isFinite(n) || n < min) {
    throw new ConfigError(`${flag}: expected a number of at least ${min}, got "${value}"`);
  }
  return n;
}

/**
 * `agent-memory worker`: runs only the background task worker (extraction, promotion, enrichment, compaction) on
 * the configured store, claiming tasks with leases, so any number of workers and API servers can share one store.
 * SIGTERM/SIGINT stop claiming, let the running task finish for up to --grace seconds, then release it.
 */
export async function workerCommand(args: string[], config: Config): Promise<void> {
  const { values } = parseArgs({ args, options: { grace: { type: 'string', default: '10' } } });
  return runWorker(config, seconds('--grace', values.grace, 0) * 1000, 'agent-memory worker');
}

/**
 * `agent-memory task-worker [--concurrency 10] [--redelivery-timeout S] [--grace 10]`: the reference server's name
 * and flags for the same worker. --concurrency is how many tasks this process runs at once (the reference's
 * default, 10); --redelivery-timeout is how long a task whose worker died waits before another worker takes it,
 * which is our task lease (TASK_LEASE_SECONDS, renewed while a task runs). The reference refuses to start when its
 * task queue (Docket) is off; ours is always on, so there is nothing to refuse.
 */
export async function taskWorkerCommand(args: string[], config: Config): Promise<void> {
  const { values } = parseArgs({
    args,
    options: {
      concurrency: { type: 'string', default: '10' },
      'redelivery-timeout': { type: 'string' },
      grace: { type: 'string', default: '10' },
    },
  });
  const concurrency = seconds('--concurrency', values.concurrency, 1);
  if (!Number.isInteger(concurrency) || concurrency > 100) {
    throw new ConfigError(`--concurrency: expected a whole number from 1 to 100, got "${values.concurrency}"`);
  }
  const redelivery = values['redelivery-timeout'];
  const leaseSeconds =
    redelivery === undefined ? config.features.tasks.leaseSeconds : seconds('--redelivery-timeout', redelivery, 1);
  if (!Number.isInteger(leaseSeconds)) {
    throw new ConfigError(`--redelivery-timeout: expected whole seconds, got "${redelivery}"`);
  }
  const tasks = { ...config.features.tasks, concurrency, leaseSeconds };
  return runWorker(
    { ...config, features: { ...config.features, tasks } },
    seconds('--grace', values.grace, 0) * 1000,
    'agent-memory task-worker',
  );
}

async function runWorker(config: Config, graceMs: number, name: string): Promise<void> {
  const engine = await openEngine(config, { autoStartWorker: false });
  await engine.startBackgroundWork();
  const worker = engine.llm.background.worker;
  const { concurrency = 1, leaseSeconds } = config.features.tasks;
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
  // Announced only once the handlers are in place, so a signal sent the moment this line is read still drains.
  log.info('task worker ready', { store: engine.store.kind, owner: worker.owner, concurrency, leaseSeconds });
  process.stderr.write(
    `${name} ${worker.owner} running on ${engine.store.kind} (${concurrency} at a time, lease ${leaseSeconds} s)\n`,
  );
}
