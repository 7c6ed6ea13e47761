/**
 * `npm run bench -- scale`: one SQLite file grown through the engine to each of BENCH_SCALE_SIZES memories (default
 * 10000,100000; the figures in the README add 1000000), with the embedder BENCH_SCALE_MODEL (default
 * offline-hash-v1: the default sentence encoder embeds about 100 texts a second here, 3 hours for a million). At
 * each size, once the vector lists are trained and every code is in its list (a store of 100k memories or more):
 * hybrid, keyword and semantic p50 and p95 over BENCH_SCALE_QUERIES queries (default 200; vectors cached after a
 * warm-up, so these are the store's times), and semantic search three ways against the same store: as shipped
 * (the nearest lists), every list searched, and the exact scan of every vector, the bound; with recall@10 of each
 * against the exact scan (a hit counts when it is as near as the exact tenth).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { openEngine } from '../src/core/engine.js';
import type { StoreFilter } from '../src/models/filters.js';
import type { SearchMode } from '../src/models/search.js';
import { DEFAULT_VECTOR_TUNING, type VectorSearchTuning } from '../src/store/sqlite/search.js';
import type { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { fmt, fmtCount, percentile } from './stats.js';
import { makeCorpus, makeQueries } from './synthetic.js';

export interface ScaleRow {
  size: number;
  what: string;
  p50: number;
  p95: number;
  recall?: number;
}

const MODES: SearchMode[] = ['hybrid', 'keyword', 'semantic'];
const NO_FILTER: StoreFilter = { tags: {}, times: {} };
const EXACT: VectorSearchTuning = { ...DEFAULT_VECTOR_TUNING, exactScanMax: Number.MAX_SAFE_INTEGER };
const EVERY_LIST: VectorSearchTuning = { ...DEFAULT_VECTOR_TUNING, probeMinRows: Number.MAX_SAFE_INTEGER };

const stats = (size: number, what: string, xs: number[], recall?: number): ScaleRow => ({
  size,
  what,
  p50: percentile(xs, 50),
  p95: percentile(xs, 95),
  ...(recall === undefined ? {} : { recall }),
});

export async function measureScale(sizes: number[], model: string, queryCount: number): Promise<ScaleRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-scale-'));
  const engine = await openEngine(
    loadConfig({
      MEMORY_BACKEND: 'sqlite',
      SQLITE_PATH: join(dir, 'scale.db'),
      EMBEDDING_MODEL: model,
      LOG_LEVEL: 'warn',
      QUERY_CACHE_TTL_SECONDS: '0',
    }),
    { autoStartWorker: false },
  );
  const store = engine.store as SqliteStore;
  const rows: ScaleRow[] = [];
  try {
    const max = Math.max(...sizes);
    const corpus = makeCorpus(max);
    const queries = makeQueries(queryCount);
    let stored = 0;
    for (const size of [...sizes].sort((a, b) => a - b)) {
      const t0 = performance.now();
      for (; stored < size; stored += 500)
        await engine.longTerm.create(corpus.slice(stored, Math.min(size, stored + 500)));
      await store.lists?.settled();
      process.stderr.write(`bench: ${fmtCount(size)} memories (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);

      const vectors = await engine.embedder.embed(queries);
      const times = new Map<string, number[]>();
      const time = async (key: string, run: () => Promise<unknown>) => {
        const t = performance.now();
        await run();
        const xs = times.get(key) ?? [];
        xs.push(performance.now() - t);
        times.set(key, xs);
      };
      const search = (text: string, mode: SearchMode) =>
        engine.longTerm.search({ text, search_mode: mode, limit: 10 }, { touch: false });
      // Warm-up: statements, caches, the vector lists' model.
      for (const q of queries.slice(0, 20)) for (const mode of MODES) await search(q, mode);
      for (const q of queries) for (const mode of MODES) await time(mode, () => search(q, mode));
      for (const mode of MODES) rows.push(stats(size, `${mode} (engine)`, times.get(mode)!));

      const listed = store.lists !== null && (await store.vectorListCount()) > 0;
      const ways: [string, VectorSearchTuning][] = [
        [listed ? 'semantic, nearest lists (as shipped)' : 'semantic, every code (as shipped)', DEFAULT_VECTOR_TUNING],
        ...(listed
          ? ([
              ['semantic, nearest lists, 64 candidates', { ...DEFAULT_VECTOR_TUNING, listCandidates: 64 }],
              ['semantic, every list', EVERY_LIST],
            ] as [string, VectorSearchTuning][])
          : []),
        ['semantic, exact scan (the bound)', EXACT],
      ];
      const found = new Map<string, { id: string; distance: number }[][]>();
      for (const [what, tuning] of ways) {
        store.vectorTuning = tuning;
        const hits: { id: string; distance: number }[][] = [];
        for (const v of vectors) {
          await time(what, async () => hits.push((await store.vectorSearch(v, NO_FILTER, 10)).items));
        }
        found.set(what, hits);
      }
      store.vectorTuning = DEFAULT_VECTOR_TUNING;
      const exact = found.get(ways[ways.length - 1]![0])!;
      for (const [what] of ways) {
        let near = 0;
        let all = 0;
        for (const [i, hits] of found.get(what)!.entries()) {
          const tenth = exact[i]![exact[i]!.length - 1]?.distance ?? Number.POSITIVE_INFINITY;
          near += hits.filter((h) => h.distance <= tenth + 1e-6).length;
          all += exact[i]!.length;
        }
        rows.push(stats(size, what, times.get(what)!, all === 0 ? 1 : near / all));
      }
    }
    return rows;
  } finally {
    await engine.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatScale(rows: ScaleRow[]): string {
  const lines = ['| memories | search | p50 ms | p95 ms | recall@10 vs exact |', '|---:|---|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(
      `| ${fmtCount(r.size)} | ${r.what} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${r.recall === undefined ? '' : r.recall.toFixed(3)} |`,
    );
  }
  return lines.join('\n');
}
