/**
 * `npm run bench -- search`: in-process engine search latency (`engine.longTerm.search`, offline embedder, a SQLite
 * file; BENCH_SEARCH_BACKEND=memory for in-memory SQLite, SQLITE_SEARCH_THREAD=false for no search thread), per search mode and filter case, at BENCH_SEARCH_SIZE memories (default 10000):
 * - unfiltered: no filter;
 * - one namespace: every memory in one namespace, searched with a `namespace: {eq}` filter for it;
 * - 1 of 10 namespaces: memories spread over 10 namespaces, searched with a filter for one of them.
 * Blocks of samples of all modes and cases are interleaved, so load from other processes hits them alike.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { type Engine, openEngine } from '../src/core/engine.js';
import type { SearchMode } from '../src/models/search.js';
import { fmt, percentile } from './stats.js';
import { makeCorpus, makeQueries } from './synthetic.js';

export interface SearchRow {
  mode: SearchMode | 'hybrid (touch)';
  case: string;
  p50: number;
  p95: number;
}

const MODES: SearchMode[] = ['hybrid', 'keyword', 'semantic'];

/** BENCH_SEARCH_BACKEND: `sqlite` (a file in a temporary folder, as installed; default) or `memory`. */
const BACKEND = process.env.BENCH_SEARCH_BACKEND === 'memory' ? 'memory' : 'sqlite';
const dir = mkdtempSync(join(tmpdir(), 'am-bench-search-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let files = 0;

async function loadEngine(size: number, namespaceOf: (i: number) => string, model?: string): Promise<Engine> {
  // Repeated bench queries would be answered by the query cache: measure the search itself.
  const env: Record<string, string> = { MEMORY_BACKEND: BACKEND, LOG_LEVEL: 'silent', QUERY_CACHE_TTL_SECONDS: '0' };
  if (BACKEND === 'sqlite') env.SQLITE_PATH = join(dir, `bench-${++files}.db`);
  if (process.env.SQLITE_SEARCH_THREAD) env.SQLITE_SEARCH_THREAD = process.env.SQLITE_SEARCH_THREAD;
  if (model) env.EMBEDDING_MODEL = model;
  if (process.env.OFFLINE_VECTORS_DIR) env.OFFLINE_VECTORS_DIR = process.env.OFFLINE_VECTORS_DIR;
  const engine = await openEngine(loadConfig(env));
  const corpus = makeCorpus(size);
  for (let i = 0; i < size; i += 500) {
    await engine.longTerm.create(corpus.slice(i, i + 500).map((m, j) => ({ ...m, namespace: namespaceOf(i + j) })));
  }
  return engine;
}

/** `model`: an EMBEDDING_MODEL (the default embedder when absent). */
export async function measureSearch(size: number, model?: string, samples = 300, rounds = 2): Promise<SearchRow[]> {
  process.stderr.write(`bench: loading 2 x ${size} memories (${model ?? 'default embedder'}, ${BACKEND})\n`);
  const one = await loadEngine(size, () => 'bench', model);
  const ten = await loadEngine(size, (i) => `ns${i % 10}`, model);
  const cases: { name: string; engine: Engine; filter: object }[] = [
    { name: 'unfiltered', engine: one, filter: {} },
    { name: 'one namespace', engine: one, filter: { namespace: { eq: 'bench' } } },
    { name: '1 of 10 namespaces', engine: ten, filter: { namespace: { eq: 'ns3' } } },
  ];
  try {
    const queries = makeQueries(samples);
    const run = (c: (typeof cases)[number], mode: SearchMode, text: string, touch: boolean) =>
      c.engine.longTerm.search({ text, search_mode: mode, ...c.filter }, { touch });
    // Warm-up: embeds every query once (the embedding cache then serves it) and warms statements.
    for (const q of queries) for (const c of cases) for (const mode of MODES) await run(c, mode, q, false);

    const times = new Map<string, number[]>();
    const record = (key: string, ms: number) => {
      const xs = times.get(key);
      if (xs) xs.push(ms);
      else times.set(key, [ms]);
    };
    // Blocks of queries per case and mode, cycled: a search right after another engine or mode runs with cold CPU
    // caches (up to 1 ms more), so each block's first search is not counted.
    const block = 25;
    for (let r = 0; r < rounds; r++) {
      for (let b = 0; b < queries.length; b += block) {
        const texts = queries.slice(b, b + block);
        for (const c of cases) {
          for (const mode of [...MODES, 'hybrid (touch)'] as const) {
            for (const [i, text] of texts.entries()) {
              const t0 = performance.now();
              await run(c, mode === 'hybrid (touch)' ? 'hybrid' : mode, text, mode === 'hybrid (touch)');
              if (i > 0) record(`${mode}|${c.name}`, performance.now() - t0);
            }
          }
        }
      }
    }
    const rows: SearchRow[] = [];
    for (const mode of [...MODES, 'hybrid (touch)'] as const) {
      for (const c of cases) {
        const xs = times.get(`${mode}|${c.name}`)!;
        rows.push({ mode, case: c.name, p50: percentile(xs, 50), p95: percentile(xs, 95) });
      }
    }
    return rows;
  } finally {
    await one.close();
    await ten.close();
  }
}

export function formatSearch(rows: SearchRow[]): string {
  const lines = ['| mode | case | p50 ms | p95 ms |', '|---|---|---:|---:|'];
  for (const r of rows) lines.push(`| ${r.mode} | ${r.case} | ${fmt(r.p50)} | ${fmt(r.p95)} |`);
  return lines.join('\n');
}
