import cluster, { type Worker } from 'node:cluster';
import { availableParallelism } from 'node:os';
import { type Config, ConfigError } from '../config.js';
import { openStore } from '../store/open-store.js';
import { log } from '../util/log.js';

/** The environment variable that tells a forked process which worker it is. */
export const WORKER_INDEX_ENV = 'AGENT_MEMORY_API_WORKER';

/** Messages between the primary and its workers. */
export type WorkerMessage =
  | { type: 'ready'; url: string; privatePort: number }
  | { type: 'ports'; ports: Record<number, number> };

export const MAX_WORKERS = 64;

/** `--workers`: a whole number from 1 to 64, or `auto` (one per core). */
export function parseWorkers(value: string | undefined): number {
  if (value === undefined) return 1;
  if (value === 'auto') return Math.min(MAX_WORKERS, availableParallelism());
  const n = Number(value);
  if (!/^\d+$/.test(value) || n < 1 || n > MAX_WORKERS)
    throw new ConfigError(`--workers: expected a whole number from 1 to ${MAX_WORKERS}, or auto; got "${value}"`);
  return n;
}

/** This process's worker number when the primary of `agent-memory api --workers N` forked it. */
export function workerIndex(): number | undefined {
  const v = process.env[WORKER_INDEX_ENV];
  return cluster.isWorker && v !== undefined && /^\d+$/.test(v) ? Number(v) : undefined;
}

/**
 * The primary of `agent-memory api --workers N`: it serves nothing itself. It opens the store once (so the
 * workers find its schema current and do not race to upgrade it), forks N workers that share the listening port
 * (Node's cluster hands each connection to one of them), tells each the private ports of all (an MCP session lives
 * in one worker; the others hand its requests on, session-routing.ts), and announces the URL once all serve.
 * A worker that dies after starting is replaced; one that fails to start stops them all. SIGTERM/SIGINT reach every
 * worker, which drains as a single server does; the primary exits when all have.
 */
export async function runPrimary(
  n: number,
  config: Config,
  announce: (url: string) => void,
  onStopped: (code: number) => void,
): Promise<void> {
  if (config.backend === 'memory') {
    throw new ConfigError(
      '--workers needs a store the workers can share: MEMORY_BACKEND=memory lives in one process (use sqlite, redis or postgres).',
    );
  }
  await (await openStore(config)).close();

  const ports: Record<number, number> = {};
  const workers = new Map<number, Worker>();
  let announced = false;
  let stopping = false;
  let exitCode = 0;
  const broadcast = () => {
    for (const w of workers.values()) if (w.isConnected()) w.send({ type: 'ports', ports } satisfies WorkerMessage);
  };
  const stopAll = (signal: NodeJS.Signals) => {
    for (const w of workers.values()) if (!w.isDead()) w.process.kill(signal);
  };

  const fork = (index: number) => {
    const w = cluster.fork({ [WORKER_INDEX_ENV]: String(index) });
    workers.set(index, w);
    w.on('message', (m: WorkerMessage) => {
      if (m?.type !== 'ready') return;
      ports[index] = m.privatePort;
      broadcast();
      if (!announced && Object.keys(ports).length === n) {
        announced = true;
        announce(m.url);
      }
    });
    w.on('exit', (code, signal) => {
      delete ports[index];
      if (workers.get(index) === w) workers.delete(index);
      if (!stopping && !announced) {
        // A worker that cannot start (the port is taken, the store refused) has said why on stderr.
        stopping = true;
        exitCode = code || 1;
        stopAll('SIGTERM');
      }
      if (stopping) {
        if (workers.size === 0) onStopped(exitCode);
        return;
      }
      log.error('API worker stopped; starting another in a second', { worker: index, code, signal });
      broadcast();
      // A second apart: a worker that dies at once again does not spin the machine.
      setTimeout(() => stopping || fork(index), 1000).unref();
    });
  };
  for (let i = 1; i <= n; i++) fork(i);

  const stop = (signal: NodeJS.Signals) => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal}: stopping ${workers.size} API workers`);
    stopAll('SIGTERM');
    if (workers.size === 0) onStopped(0);
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/** A worker's side: report readiness, and keep the other workers' private ports as the primary sends them. */
export function joinPrimary(url: string, privatePort: number, ports: Map<number, number>): void {
  process.on('message', (m: WorkerMessage) => {
    if (m?.type !== 'ports') return;
    ports.clear();
    for (const [k, v] of Object.entries(m.ports)) ports.set(Number(k), v);
  });
  process.send?.({ type: 'ready', url, privatePort } satisfies WorkerMessage);
}
