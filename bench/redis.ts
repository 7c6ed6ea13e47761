/**
 * `npm run bench -- redis`: engine search latency on the Redis store (`engine.longTerm.search`, offline embedder)
 * at BENCH_REDIS_SIZE memories (default 100000), per search mode, unfiltered and with a namespace filter.
 * Needs a Redis with the search module: REDIS_URL (a Redis 8 / Stack you run; the bench writes under its own key
 * prefix and deletes it afterwards), or REDIS_SEARCH_MODULE=/path/to/redisearch.so to start a local
 * `redis-server` with it. Skips with a message otherwise.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { loadConfig } from '../src/config.js';
import { type Engine, openEngine } from '../src/core/engine.js';
import type { SearchMode } from '../src/models/search.js';
import type { RedisStore } from '../src/store/redis/redis-store.js';
import { fmt, percentile } from './stats.js';
import { makeCorpus, makeQueries } from './synthetic.js';

export interface RedisRow {
  mode: SearchMode;
  case: string;
  p50: number;
  p95: number;
}

const MODES: SearchMode[] = ['hybrid', 'keyword', 'semantic'];

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

/** A Redis URL with search, and how to stop what was started; or the reason there is none. */
export async function redisForBench(): Promise<{ url: string; stop: () => void } | string> {
  if (process.env.REDIS_URL) return { url: process.env.REDIS_URL, stop: () => {} };
  const module = process.env.REDIS_SEARCH_MODULE;
  if (!module) {
    return 'no search-capable Redis: set REDIS_URL (Redis 8 / Redis Stack) or REDIS_SEARCH_MODULE=/path/to/redisearch.so';
  }
  const port = await freePort();
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'];
  const child: ChildProcess = spawn('redis-server', [...args, '--loadmodule', module], { stdio: 'ignore' });
  const url = `redis://127.0.0.1:${port}`;
  // Ready when it answers, not after a fixed wait.
  for (let tries = 0; ; tries++) {
    if (child.exitCode !== null) return `redis-server with ${module} exited with code ${child.exitCode}`;
    const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    probe.on('error', () => {});
    const up = await probe
      .connect()
      .then(() => probe.ping())
      .then(
        () => true,
        () => false,
      );
    probe.disconnect();
    if (up) break;
    if (tries > 200) {
      child.kill('SIGKILL');
      return `redis-server with ${module} did not answer at ${url}`;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return { url, stop: () => child.kill('SIGTERM') };
}

async function openBenchEngine(url: string, prefix: string): Promise<Engine> {
  return openEngine(
    loadConfig({
      MEMORY_BACKEND: 'redis',
      REDIS_URL: url,
      REDIS_KEY_PREFIX: prefix,
      LOG_LEVEL: 'silent',
      // Repeated bench queries would be answered by the query cache: measure the search itself.
      QUERY_CACHE_TTL_SECONDS: '0',
      LONG_TERM_MEMORY: 'false',
      COMPACTION_EVERY_MINUTES: '0',
    }),
    { autoStartWorker: false },
  );
}

/** Rows, or the reason the section is skipped. */
export async function measureRedis(size: number, samples = 200): Promise<RedisRow[] | string> {
  const redis = await redisForBench();
  if (typeof redis === 'string') return redis;
  const prefix = `bench-${process.pid}-${Date.now().toString(36)}`;
  let engine: Engine | undefined;
  try {
    engine = await openBenchEngine(redis.url, prefix);
    const corpus = makeCorpus(size);
    const started = Date.now();
    for (let i = 0; i < size; i += 500) {
      await engine.longTerm.create(corpus.slice(i, i + 500).map((m, j) => ({ ...m, namespace: `ns${(i + j) % 10}` })));
      if ((i / 500) % 20 === 0) process.stderr.write(`bench: redis: loaded ${i + 500} of ${size}\r`);
    }
    process.stderr.write(
      `\nbench: redis: loaded ${size} memories in ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
    );
    const cases: { name: string; filter: object }[] = [
      { name: 'unfiltered', filter: {} },
      { name: '1 of 10 namespaces', filter: { namespace: { eq: 'ns3' } } },
    ];
    const queries = makeQueries(samples);
    const e = engine;
    const run = (c: (typeof cases)[number], mode: SearchMode, text: string) =>
      e.longTerm.search({ text, search_mode: mode, ...c.filter }, { touch: false });
    for (const q of queries.slice(0, 20)) for (const c of cases) for (const mode of MODES) await run(c, mode, q);
    const rows: RedisRow[] = [];
    for (const c of cases) {
      for (const mode of MODES) {
        const xs: number[] = [];
        for (const q of queries) {
          const t0 = performance.now();
          await run(c, mode, q);
          xs.push(performance.now() - t0);
        }
        rows.push({ mode, case: c.name, p50: percentile(xs, 50), p95: percentile(xs, 95) });
      }
    }
    return rows;
  } finally {
    if (engine) {
      await (engine.store as RedisStore).destroy().catch(() => {});
      await engine.close();
    }
    redis.stop();
  }
}

export function formatRedis(rows: RedisRow[]): string {
  const lines = ['| mode | case | p50 ms | p95 ms |', '|---|---|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.mode} | ${r.case} | ${fmt(r.p50)} | ${fmt(r.p95)} |`);
  return lines.join('\n');
}
