/**
 * `npm run bench -- dashboard`: server time of the dashboard's memory list and search pages (/ui/memories) at
 * BENCH_DASHBOARD_SIZE memories (100,000), from the Server-Timing header each page carries, with the time the
 * response took over loopback beside it. The api server runs in-process on a SQLite file, auth disabled, with
 * BENCH_DASHBOARD_MODEL (offline-wordvec-v1: no neural network, so loading 100k takes minutes, not an hour).
 * Memories are spread over 10 namespaces, 50 users, three types and a year of creation times. The target is 300 ms.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig, loadHttpConfig } from '../src/config.js';
import { openEngine } from '../src/core/engine.js';
import { startHttpServer } from '../src/http/server.js';
import { fmt, percentile } from './stats.js';
import { makeCorpus, makeQueries } from './synthetic.js';

export const TARGET_MS = 300;
const DAY = 86_400_000;
const TYPES = ['semantic', 'episodic', 'message'] as const;

export interface DashboardRow {
  page: string;
  p50: number;
  p95: number;
  wallP50: number;
}

interface Case {
  page: string;
  /** The path of the i-th request (search cases vary the query text). */
  path: (i: number) => string;
}

function cases(queries: string[]): Case[] {
  const q =
    (mode: string, extra = '') =>
    (i: number) =>
      `/ui/memories?q=${encodeURIComponent(queries[i % queries.length]!)}&mode=${mode}${extra}`;
  return [
    { page: 'list, newest first (25)', path: () => '/ui/memories' },
    { page: 'list, 100 per page', path: () => '/ui/memories?per_page=100' },
    { page: 'list, page 2,000 (offset 49,975)', path: () => '/ui/memories?page=2000' },
    { page: 'list, one namespace', path: () => '/ui/memories?namespace=ns-3' },
    { page: 'list, a topic', path: () => '/ui/memories?topics=bread&topics_op=any' },
    {
      page: 'list, created in one month',
      path: () => '/ui/memories?created_at_from=2025-03-01&created_at_to=2025-03-31',
    },
    { page: 'search, hybrid', path: q('hybrid') },
    { page: 'search, keyword', path: q('keyword') },
    { page: 'search, semantic', path: q('semantic') },
    { page: 'search, hybrid, one namespace', path: q('hybrid', '&namespace=ns-3') },
    { page: 'search, hybrid, page 5', path: q('hybrid', '&page=5') },
    { page: 'one memory with its history', path: () => '/ui/memory?id=bench-123' },
    { page: 'overview (charts)', path: () => '/ui' },
  ];
}

export async function measureDashboard(size: number, samples = 40): Promise<DashboardRow[]> {
  const model = process.env.BENCH_DASHBOARD_MODEL ?? 'offline-wordvec-v1';
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-dashboard-'));
  const env: Record<string, string> = {
    SQLITE_PATH: join(dir, 'm.db'),
    EMBEDDING_MODEL: model,
    LOG_LEVEL: 'warn',
    ...(process.env.OFFLINE_VECTORS_DIR ? { OFFLINE_VECTORS_DIR: process.env.OFFLINE_VECTORS_DIR } : {}),
  };
  const engine = await openEngine(loadConfig(env), { autoStartWorker: false });
  const server = await startHttpServer(engine, loadHttpConfig({ PORT: '0', RATE_LIMIT_PER_MINUTE: '0' }));
  try {
    process.stderr.write(`bench: loading ${size} memories (${model})\n`);
    const corpus = makeCorpus(size);
    const now = Date.now();
    const started = performance.now();
    for (let i = 0; i < size; i += 1000) {
      const batch = corpus.slice(i, i + 1000).map((m, j) => {
        const n = i + j;
        return {
          ...m,
          id: `bench-${n}`,
          namespace: `ns-${n % 10}`,
          user_id: `user-${n % 50}`,
          memory_type: TYPES[n % 3],
          created_at: new Date(now - ((n * 7919) % 365) * DAY - (n % 86_400) * 1000).toISOString(),
        };
      });
      await engine.longTerm.create(batch, { deduplicate: false });
      if ((i + 1000) % 20_000 === 0) process.stderr.write(`bench: ${i + 1000} memories\n`);
    }
    process.stderr.write(`bench: loaded in ${((performance.now() - started) / 1000).toFixed(0)} s\n`);

    const queries = makeQueries(samples);
    const all = cases(queries);
    const get = async (path: string) => {
      const t0 = performance.now();
      const res = await fetch(server.url + path);
      await res.text();
      const wall = performance.now() - t0;
      if (res.status !== 200) throw new Error(`${path}: ${res.status}`);
      const timing = /app;dur=([\d.]+)/.exec(res.headers.get('server-timing') ?? '');
      return { server: Number(timing?.[1]), wall };
    };
    // Warm-up: every query embedded once (later searches find its vector cached), statements prepared.
    for (const c of all) for (let i = 0; i < samples; i++) await get(c.path(i));
    const rows: DashboardRow[] = [];
    for (const c of all) {
      const server: number[] = [];
      const wall: number[] = [];
      for (let i = 0; i < samples; i++) {
        const t = await get(c.path(i));
        server.push(t.server);
        wall.push(t.wall);
      }
      rows.push({
        page: c.page,
        p50: percentile(server, 50),
        p95: percentile(server, 95),
        wallP50: percentile(wall, 50),
      });
    }
    return rows;
  } finally {
    await server.close(2_000);
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatDashboard(rows: DashboardRow[]): string {
  const lines = ['| page (/ui/…) | server p50 ms | server p95 ms | over loopback p50 ms |', '|---|---:|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.page} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${fmt(r.wallP50)} |`);
  const pages = rows.filter((r) => r.page.startsWith('list') || r.page.startsWith('search'));
  const worst = Math.max(...pages.map((r) => r.p95));
  lines.push(
    '',
    `Memory list and search pages: worst p95 ${fmt(worst)} ms server time (target ${TARGET_MS} ms: ${worst < TARGET_MS ? 'met' : 'NOT met'}).`,
  );
  return lines.join('\n');
}
