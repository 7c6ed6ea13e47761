/**
 * `npm run bench -- http`: REST throughput and latency of the built server (`agent-memory api`, a child process on
 * loopback, SQLite file, offline embedder), driven by autocannon for a bounded time per endpoint; once per worker
 * count of BENCH_HTTP_WORKERS (default 1,2: `--workers`), the counts taking turns on the same file over
 * BENCH_HTTP_ROUNDS rounds (default 3), so load changes hit each alike; figures are the rounds' medians. autocannon
 * runs in this process, on the same cores as the server.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { PACKAGE_ROOT } from '../src/version.js';
import { fmt, percentile } from './stats.js';
import { makeCorpus, makeQueries } from './synthetic.js';

export interface HttpRow {
  endpoint: string;
  workers: number;
  connections: number;
  requests: number;
  perSecond: number;
  p50: number;
  p95: number;
  non2xx: number;
}

function startServer(dbPath: string, workers = 1): Promise<{ child: ChildProcess; url: string }> {
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env))
    if (v !== undefined && !/^(OPENAI|ANTHROPIC|AUTH|OAUTH2)_/.test(k)) env[k] = v;
  Object.assign(env, {
    MEMORY_BACKEND: 'sqlite',
    SQLITE_PATH: dbPath,
    LOG_LEVEL: 'warn',
    AUTH_MODE: 'disabled',
    RATE_LIMIT_PER_MINUTE: '0',
    // Repeated bench queries would be answered by the query cache: measure the search itself.
    QUERY_CACHE_TTL_SECONDS: '0',
  });
  const child = spawn(
    process.execPath,
    [join(PACKAGE_ROOT, 'dist/src/cli.js'), 'api', '--port', '0', '--workers', String(workers)],
    {
      env,
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  let out = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]! });
    });
    child.once('exit', (code) => reject(new Error(`agent-memory api exited with ${code}`)));
  });
}

async function post(url: string, body: unknown, method = 'POST') {
  const res = await fetch(url, { method, headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  if (!res.ok) throw new Error(`${method} ${url}: ${res.status} ${await res.text()}`);
  return res.json();
}

async function load(
  url: string,
  requests: autocannon.Request[],
  connections: number,
  seconds: number,
  endpoint: string,
  workers: number,
): Promise<HttpRow> {
  const times: number[] = [];
  const result = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, connections, duration: seconds, requests }, (err, res) =>
      err ? reject(err) : resolve(res),
    );
    instance.on('response', (_client, _status, _bytes, ms) => times.push(ms));
  });
  return {
    endpoint,
    workers,
    connections,
    requests: result.requests.total,
    perSecond: result.requests.total / seconds,
    p50: percentile(times, 50),
    p95: percentile(times, 95),
    non2xx: result.non2xx + result.errors,
  };
}

const stopServer = async (child: ChildProcess) => {
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
};

/**
 * Loads `size` memories and a 20-message session, then measures search, get-working-memory and health with each
 * worker count in turn.
 */
export async function measureHttp(
  size = 1000,
  seconds = 5,
  connections = 10,
  workerCounts = [1, 2],
  rounds = 3,
): Promise<HttpRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-http-'));
  const db = join(dir, 'bench.db');
  try {
    const loader = await startServer(db);
    try {
      const corpus = makeCorpus(size).map((m, i) => ({ id: `bench-${i}`, ...m }));
      for (let i = 0; i < corpus.length; i += 500)
        await post(`${loader.url}/v1/long-term-memory`, { memories: corpus.slice(i, i + 500) });
      const messages = Array.from({ length: 20 }, (_, i) => ({
        role: i % 2 ? 'assistant' : 'user',
        content: `Message ${i} about the trip plans`,
      }));
      await post(`${loader.url}/v1/working-memory/bench-session`, { messages, context: 'A running summary.' }, 'PUT');
    } finally {
      await stopServer(loader.child);
    }

    const searches: autocannon.Request[] = makeQueries(50).map((q) => ({
      method: 'POST',
      path: '/v1/long-term-memory/search',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: q, limit: 10 }),
    }));
    const endpoints: [string, autocannon.Request[]][] = [
      [`POST /v1/long-term-memory/search (${size} memories)`, searches],
      ['GET /v1/working-memory/{id} (20 messages)', [{ method: 'GET', path: '/v1/working-memory/bench-session' }]],
      ['GET /v1/health (framework floor)', [{ method: 'GET', path: '/v1/health' }]],
    ];
    const runs = new Map<string, HttpRow[]>();
    for (let round = 0; round < rounds; round++) {
      for (const workers of workerCounts) {
        const { child, url } = await startServer(db, workers);
        try {
          // A short warm-up so JIT and caches do not count against the first endpoint.
          await load(url, searches, connections, 1, 'warm-up', workers);
          for (const [endpoint, requests] of endpoints) {
            const row = await load(url, requests, connections, seconds, endpoint, workers);
            const key = `${endpoint}\u0000${workers}`;
            runs.set(key, [...(runs.get(key) ?? []), row]);
          }
        } finally {
          await stopServer(child);
        }
        process.stderr.write(`bench: http round ${round + 1}/${rounds}, ${workers} worker(s) done\n`);
      }
    }
    const median = (xs: number[]) => percentile(xs, 50);
    return [...runs.values()].map((rs) => ({
      ...rs[0]!,
      requests: median(rs.map((r) => r.requests)),
      perSecond: median(rs.map((r) => r.perSecond)),
      p50: median(rs.map((r) => r.p50)),
      p95: median(rs.map((r) => r.p95)),
      non2xx: rs.reduce((n, r) => n + r.non2xx, 0),
    }));
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatHttp(rows: HttpRow[]): string {
  const lines = [
    '| endpoint | workers | connections | requests | req/s | vs 1 worker | p50 ms | p95 ms | non-2xx |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|',
  ];
  const single = new Map(rows.filter((r) => r.workers === 1).map((r) => [r.endpoint, r.perSecond]));
  for (const r of rows) {
    const base = single.get(r.endpoint);
    const ratio = base ? `${(r.perSecond / base).toFixed(2)}×` : '';
    lines.push(
      `| ${r.endpoint} | ${r.workers} | ${r.connections} | ${Math.round(r.requests)} | ${Math.round(r.perSecond)} | ${ratio} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${r.non2xx} |`,
    );
  }
  return lines.join('\n');
}
