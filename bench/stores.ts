/**
 * `npm run bench -- stores`: engine search latency on every store, side by side in one run, at BENCH_STORES_SIZE
 * memories (default 100000) spread over 10 namespaces, per search mode, unfiltered and filtered to one namespace.
 * - SQLite: a file in a temporary folder, as installed.
 * - PostgreSQL: DATABASE_URL (a server you run; the bench writes in its own schema and drops it), or else PGlite
 *   with pgvector served over the wire on loopback (PostgreSQL compiled to WebAssembly: one backend, so its figures
 *   are a floor on what pg + pgvector code costs, not a PostgreSQL server's speed).
 * - Redis: REDIS_URL or REDIS_SEARCH_MODULE (see redis.ts); skipped otherwise.
 * Every store gets the same corpus and the same embedder (BENCH_STORES_MODEL, default offline-wordvec-v1: the
 * stores are compared, not the embedders, and the neural default would spend most of the run embedding). Blocks
 * of queries cycle over the stores, modes and cases, so a drift in the machine's speed hits them alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { type Engine, openEngine } from '../src/core/engine.js';
import type { SearchMode } from '../src/models/search.js';
import { redisForBench } from './redis.js';
import { fmt, percentile } from './stats.js';
import { makeCorpus, makeQueries } from './synthetic.js';

const MODES: SearchMode[] = ['hybrid', 'keyword', 'semantic'];
const CASES = [
  { name: 'unfiltered', filter: {} },
  { name: '1 of 10 namespaces', filter: { namespace: { eq: 'ns3' } } },
];

export interface StoreRow {
  store: string;
  mode: SearchMode;
  case: string;
  p50: number;
  p95: number;
}

interface BenchStore {
  name: string;
  engine: Engine;
  stop: () => Promise<void>;
}

const common = (model: string) => ({
  LOG_LEVEL: 'silent',
  // Repeated bench queries would be answered by the query cache: measure the search itself.
  QUERY_CACHE_TTL_SECONDS: '0',
  EMBEDDING_MODEL: model,
  LONG_TERM_MEMORY: 'false',
  COMPACTION_EVERY_MINUTES: '0',
});

async function sqliteStore(model: string): Promise<BenchStore> {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-stores-'));
  const engine = await openEngine(
    loadConfig({ ...common(model), MEMORY_BACKEND: 'sqlite', SQLITE_PATH: join(dir, 'bench.db') }),
    { autoStartWorker: false },
  );
  return {
    name: 'SQLite file',
    engine,
    stop: async () => {
      await engine.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function postgresStore(model: string): Promise<BenchStore> {
  const schema = `bench_${process.pid}_${Date.now().toString(36)}`;
  let url = process.env.DATABASE_URL;
  let name = 'PostgreSQL (DATABASE_URL)';
  let stopServer = async () => {};
  if (!url) {
    // Dev dependencies: only this bench and the tests load them.
    const { PGlite } = await import('@electric-sql/pglite');
    const { vector } = await import('@electric-sql/pglite-pgvector');
    const { PGLiteSocketServer } = await import('@electric-sql/pglite-socket');
    const db = await PGlite.create({ extensions: { vector } });
    await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
    const server = new PGLiteSocketServer({ db, host: '127.0.0.1', port: 0, maxConnections: 16 });
    await server.start();
    url = `postgres://postgres@${server.getServerConn()}/postgres`;
    name = 'PostgreSQL (PGlite, WebAssembly)';
    stopServer = async () => {
      await server.stop();
      await db.close();
    };
  }
  const engine = await openEngine(
    loadConfig({
      ...common(model),
      MEMORY_BACKEND: 'postgres',
      DATABASE_URL: url,
      POSTGRES_SCHEMA: schema,
      // PGlite runs one statement at a time whatever the pool.
      POSTGRES_POOL_SIZE: process.env.DATABASE_URL ? '10' : '1',
    }),
    { autoStartWorker: false },
  );
  return {
    name,
    engine,
    stop: async () => {
      await (engine.store as { destroy?: () => Promise<void> }).destroy?.().catch(() => {});
      await engine.close();
      await stopServer();
    },
  };
}

async function redisStore(model: string): Promise<BenchStore | string> {
  const redis = await redisForBench();
  if (typeof redis === 'string') return redis;
  const engine = await openEngine(
    loadConfig({
      ...common(model),
      MEMORY_BACKEND: 'redis',
      REDIS_URL: redis.url,
      REDIS_KEY_PREFIX: `bench-${process.pid}-${Date.now().toString(36)}`,
    }),
    { autoStartWorker: false },
  );
  return {
    name: 'Redis',
    engine,
    stop: async () => {
      await (engine.store as { destroy?: () => Promise<void> }).destroy?.().catch(() => {});
      await engine.close();
      redis.stop();
    },
  };
}

async function load(store: BenchStore, size: number): Promise<void> {
  const corpus = makeCorpus(size);
  const started = Date.now();
  for (let i = 0; i < size; i += 500) {
    await store.engine.longTerm.create(
      corpus.slice(i, i + 500).map((m, j) => ({ ...m, namespace: `ns${(i + j) % 10}` })),
    );
    process.stderr.write(`bench: ${store.name}: loaded ${Math.min(size, i + 500)} of ${size}\r`);
  }
  process.stderr.write(`\nbench: ${store.name}: ${size} memories in ${((Date.now() - started) / 1000).toFixed(0)} s\n`);
}

/** Rows per store, mode and case, and the stores skipped with the reason. */
export async function measureStores(
  size: number,
  samples = 200,
): Promise<{ rows: StoreRow[]; skipped: string[]; model: string }> {
  const model = process.env.BENCH_STORES_MODEL ?? 'offline-wordvec-v1';
  const stores: BenchStore[] = [];
  const skipped: string[] = [];
  try {
    stores.push(await sqliteStore(model));
    stores.push(await postgresStore(model));
    const redis = await redisStore(model);
    if (typeof redis === 'string') skipped.push(`Redis: ${redis}`);
    else stores.push(redis);
    for (const s of stores) await load(s, size);

    const queries = makeQueries(samples);
    const run = (s: BenchStore, mode: SearchMode, filter: object, text: string) =>
      s.engine.longTerm.search({ text, search_mode: mode, ...filter }, { touch: false });
    // Warm-up: every query embedded once (then cached), statements and indexes warm.
    for (const s of stores) for (const q of queries) for (const c of CASES) await run(s, 'hybrid', c.filter, q);
    const times = new Map<string, number[]>();
    const block = 20;
    for (let b = 0; b < queries.length; b += block) {
      for (const s of stores) {
        for (const c of CASES) {
          for (const mode of MODES) {
            for (const [i, text] of queries.slice(b, b + block).entries()) {
              const t0 = performance.now();
              await run(s, mode, c.filter, text);
              // A block's first search runs with caches cold from the previous store: not counted.
              if (i === 0) continue;
              const ms = performance.now() - t0;
              const key = `${s.name}|${mode}|${c.name}`;
              const xs = times.get(key);
              if (xs) xs.push(ms);
              else times.set(key, [ms]);
            }
          }
        }
      }
    }
    const rows: StoreRow[] = [];
    for (const s of stores) {
      for (const mode of MODES) {
        for (const c of CASES) {
          const xs = times.get(`${s.name}|${mode}|${c.name}`)!;
          rows.push({ store: s.name, mode, case: c.name, p50: percentile(xs, 50), p95: percentile(xs, 95) });
        }
      }
    }
    return { rows, skipped, model };
  } finally {
    for (const s of stores) await s.stop();
  }
}

/** One table, each p50 also as a ratio to SQLite's for the same mode and case. */
export function formatStores(rows: StoreRow[]): string {
  const base = new Map(rows.filter((r) => r.store === 'SQLite file').map((r) => [`${r.mode}|${r.case}`, r.p50]));
  const lines = ['| store | mode | case | p50 ms | p95 ms | p50 / SQLite |', '|---|---|---|---:|---:|---:|'];
  for (const r of rows) {
    const ratio = r.p50 / base.get(`${r.mode}|${r.case}`)!;
    lines.push(`| ${r.store} | ${r.mode} | ${r.case} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${ratio.toFixed(2)} |`);
  }
  return lines.join('\n');
}
