/**
 * `npm run bench -- compaction`: what a due compaction costs a busy server, at BENCH_COMPACTION_SIZE memories
 * (100,000). Search p50 idle, then while compaction runs back to back (as a due schedule would, without an LLM);
 * how long one full and one scheduled (since the last run) pass take; and how long `agent-memory mcp` takes to
 * exit on SIGTERM with a compaction task due at start. Hashed embedder, so loading 100k memories takes minutes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { loadConfig } from '../src/config.js';
import { type Engine, openEngine } from '../src/core/engine.js';
import { stopTime, untilToolsList } from './spawn-mcp.js';
import { median } from './stats.js';
import { makeCorpus, makeQueries } from './synthetic.js';

export const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');
const MODEL = 'offline-hash-v1';

export async function searchTimes(engine: Engine, queries: string[]): Promise<number[]> {
  const times: number[] = [];
  for (const text of queries) {
    const t = performance.now();
    await engine.longTerm.search({ text, search_mode: 'hybrid', limit: 10 }, { touch: false });
    times.push(performance.now() - t);
  }
  return times;
}

/** Time to the first tools/list, then from SIGTERM to exit, of an MCP server whose first task is a due compaction. */
async function startAndStop(env: Record<string, string>): Promise<{ ready: number; stop: number }> {
  const { child, ms } = await untilToolsList([CLI, 'mcp'], { ...process.env, ...env });
  // Let the worker claim the due compaction before the signal.
  await new Promise((r) => setTimeout(r, 300));
  return { ready: ms, stop: await stopTime(child) };
}

export async function measureCompaction(size: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-compact-'));
  const env = {
    SQLITE_PATH: join(dir, 'm.db'),
    EMBEDDING_MODEL: MODEL,
    LOG_LEVEL: 'silent',
    COMPACTION_EVERY_MINUTES: '10',
    OFFLINE_VECTORS_DIR: process.env.OFFLINE_VECTORS_DIR ?? join(dir, 'vectors'),
  };
  try {
    process.stderr.write(`bench: loading ${size} memories (${MODEL}), 1% of them exact duplicates\n`);
    let engine = await openEngine(loadConfig(env), { autoStartWorker: false });
    const corpus = makeCorpus(size);
    for (let i = 0; i < size; i += 500) {
      const batch = corpus.slice(i, i + 500).map((m) => ({ ...m, namespace: 'bench' }));
      // Every 100th memory twice, as an import with deduplicate: false would leave it.
      const twins = batch.filter((_, j) => (i + j) % 100 === 0);
      await engine.longTerm.create([...batch, ...twins], { deduplicate: false });
    }
    const queries = makeQueries(200);
    await searchTimes(engine, queries);
    const idle = median(await searchTimes(engine, queries));

    const t0 = performance.now();
    const full = await engine.compact({});
    const fullMs = performance.now() - t0;
    // What a scheduled pass sees: the 100 memories written since the previous one (ten of them twins).
    const mark = Date.now();
    const fresh = makeCorpus(100, 99).map((m) => ({ ...m, namespace: 'bench' }));
    await engine.longTerm.create([...fresh, ...fresh.slice(0, 10)], { deduplicate: false });
    const t1 = performance.now();
    const scheduled = await engine.compact({ since: mark });
    const sinceMs = performance.now() - t1;

    // Searches while a full pass runs (as one due at start would), and while passes run back to back (a stress far
    // beyond the schedule's one pass per COMPACTION_EVERY_MINUTES).
    const during = async (pass: () => Promise<unknown>, repeat: boolean) => {
      let running = true;
      let runs = 0;
      const loop = (async () => {
        do {
          await pass();
          runs++;
          await new Promise((r) => setImmediate(r));
        } while (running && repeat);
      })();
      const p50 = median(await searchTimes(engine, queries));
      running = false;
      await loop;
      return { p50, runs };
    };
    const once = await during(() => engine.compact({}), false);
    const busy = await during(() => engine.compact({ since: mark }), true);
    // A compaction due at once for the next start: the server's worker claims it first.
    await engine.llm.background.enqueue({ kind: 'compact_memories', payload: { scheduled: true }, runAt: 0 }, false);
    await engine.close();
    engine = undefined as never;
    const stops = [];
    for (let i = 0; i < 3; i++) stops.push(await startAndStop(env));

    return [
      `| ${size.toLocaleString('en')} memories (${MODEL}, SQLite file) | figure |`,
      '|---|---|',
      `| hybrid search p50, idle | ${idle.toFixed(2)} ms |`,
      `| hybrid search p50 while one full compaction runs | ${once.p50.toFixed(2)} ms (${(once.p50 / idle).toFixed(2)}x idle) |`,
      `| hybrid search p50, scheduled compactions back to back (${busy.runs} runs meanwhile) | ${busy.p50.toFixed(2)} ms (${(busy.p50 / idle).toFixed(2)}x idle) |`,
      `| one full compaction (no LLM; removed ${full.duplicates_removed} exact duplicates) | ${fullMs.toFixed(0)} ms |`,
      `| one scheduled compaction (100 memories changed since the last; removed ${scheduled.duplicates_removed}) | ${sinceMs.toFixed(1)} ms |`,
      `| \`agent-memory mcp\` with a compaction due: first tools/list | ${stops.map((s) => `${(s.ready / 1000).toFixed(2)} s`).join(', ')} |`,
      `| ... then SIGTERM to exit | ${stops.map((s) => `${(s.stop / 1000).toFixed(2)} s`).join(', ')} |`,
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
