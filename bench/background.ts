/**
 * `npm run bench -- background`: a store of BENCH_BACKGROUND_SIZE memories (100,000; the README's figure is at
 * 1,000,000) with every scheduled background job due at once: compaction (no LLM: exact duplicates, 1 % of the
 * memories are twins), forgetting (FORGETTING_MAX_INACTIVE_DAYS=30; 1 % of the memories were last used 60 days ago)
 * and the agent-tier pass. Hybrid search p50 in the same process as the worker, idle (worker stopped), while the
 * jobs run (the searches that ended before the last job did), and idle again after; how long each job took; then
 * `agent-memory mcp` started on the file with the jobs due again, and the time from SIGTERM, sent while a job is
 * running, to its exit. Hashed embedder (offline-hash-v1), so loading a million memories takes minutes, not hours.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/config.js';
import { TASK } from '../src/core/background.js';
import { type Engine, openEngine } from '../src/core/engine.js';
import type { SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { CLI, searchTimes } from './compaction.js';
import { stopTime, untilToolsList } from './spawn-mcp.js';
import { fmtCount, median } from './stats.js';
import { makeCorpus, makeQueries } from './synthetic.js';

const MODEL = 'offline-hash-v1';
const DAY_MS = 86_400_000;
const JOBS = [TASK.compact, TASK.forget, TASK.agentTiers] as const;

async function enqueueDue(engine: Engine): Promise<string[]> {
  const ids: string[] = [];
  for (const kind of JOBS) {
    const t = await engine.llm.background.enqueue({ kind, payload: { scheduled: true }, runAt: 0 }, false);
    ids.push(t.id);
  }
  return ids;
}

/** Polls the file until a task is running (the worker claimed one); false once none waits, or after `ms`. */
async function untilRunning(path: string, ms: number): Promise<boolean> {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    const running = db.prepare("SELECT count(*) FROM tasks WHERE status = 'running'").pluck();
    const due = db.prepare("SELECT count(*) FROM tasks WHERE status = 'pending' AND run_at <= ?").pluck();
    for (const end = Date.now() + ms; Date.now() < end; ) {
      if ((running.get() as number) > 0) return true;
      if (due.get(Date.now()) === 0) return false;
      await new Promise((r) => setTimeout(r, 20));
    }
    return false;
  } finally {
    db.close();
  }
}

export async function measureBackground(size: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-background-'));
  const path = join(dir, 'm.db');
  const env = {
    SQLITE_PATH: path,
    EMBEDDING_MODEL: MODEL,
    LOG_LEVEL: 'silent',
    COMPACTION_EVERY_MINUTES: '10',
    FORGETTING_ENABLED: 'true',
    FORGETTING_MAX_INACTIVE_DAYS: '30',
    QUERY_CACHE_TTL_SECONDS: '0',
    OFFLINE_VECTORS_DIR: process.env.OFFLINE_VECTORS_DIR ?? join(dir, 'vectors'),
  };
  try {
    let engine = await openEngine(loadConfig(env), { autoStartWorker: false });
    const t0 = performance.now();
    const corpus = makeCorpus(size);
    const stale = new Date(Date.now() - 60 * DAY_MS).toISOString();
    for (let i = 0; i < size; i += 500) {
      const batch = corpus.slice(i, i + 500).map((m, j) => ({
        ...m,
        namespace: 'bench',
        ...((i + j) % 100 === 50 ? { last_accessed: stale } : {}),
      }));
      const twins = batch.filter((_, j) => (i + j) % 100 === 0);
      await engine.longTerm.create([...batch, ...twins], { deduplicate: false });
      if (i % 100_000 === 0 && i > 0) process.stderr.write(`bench: ${fmtCount(i)} memories\n`);
    }
    await (engine.store as SqliteStore).lists?.settled();
    process.stderr.write(
      `bench: ${fmtCount(size)} memories loaded (${((performance.now() - t0) / 1000).toFixed(0)} s)\n`,
    );

    const queries = makeQueries(200);
    await searchTimes(engine, queries);
    const idle = median(await searchTimes(engine, queries));

    const ids = await enqueueDue(engine);
    const started = performance.now();
    await engine.startBackgroundWork({ warmUp: false });
    const during: number[] = [];
    const done = async () => {
      const ts = await Promise.all(ids.map((id) => engine.store.tasks.get(id)));
      return ts.every((t) => t?.status === 'success' || t?.status === 'failed');
    };
    while (!(await done())) {
      const [ms] = await searchTimes(engine, [queries[during.length % queries.length]!]);
      if (!(await done())) during.push(ms!);
    }
    const allMs = performance.now() - started;
    const tasks = await Promise.all(ids.map((id) => engine.store.tasks.get(id)));
    const after = median(await searchTimes(engine, queries));
    await engine.close();

    // Due again for a server started on the file: SIGTERM while the worker runs one of them.
    engine = await openEngine(loadConfig(env), { autoStartWorker: false });
    await enqueueDue(engine);
    await engine.close();
    engine = undefined as never;
    const stops: { ready: number; stop: number; running: boolean }[] = [];
    for (let i = 0; i < 3; i++) {
      const { child, ms } = await untilToolsList([CLI, 'mcp'], { ...process.env, ...env });
      const running = await untilRunning(path, 30_000);
      stops.push({ ready: ms, stop: await stopTime(child), running });
    }

    const jobRows = tasks.map((t) => {
      const took = t?.started_at && t.completed_at ? `${t.completed_at - t.started_at} ms` : 'not run';
      return `| ${t?.kind} | ${t?.status}, ${took}: ${JSON.stringify(t?.result ?? t?.last_error ?? null)} |`;
    });
    const ratio = (x: number) => `${(x / idle).toFixed(2)}x idle`;
    const secs = (xs: number[]) => xs.map((x) => `${(x / 1000).toFixed(2)} s`).join(', ');
    return [
      `| ${size.toLocaleString('en')} memories (${MODEL}, SQLite file), every scheduled job due | figure |`,
      '|---|---|',
      `| hybrid search p50, idle (worker stopped) | ${idle.toFixed(2)} ms |`,
      `| ... while the jobs run (${during.length} searches in ${(allMs / 1000).toFixed(1)} s) | ${during.length ? `${median(during).toFixed(2)} ms (${ratio(median(during))})` : 'none: the jobs ended first'} |`,
      `| ... after them | ${after.toFixed(2)} ms (${ratio(after)}) |`,
      ...jobRows,
      `| \`agent-memory mcp\` with the jobs due: first tools/list | ${secs(stops.map((s) => s.ready))} |`,
      `| ... then SIGTERM while a job runs${stops.every((s) => s.running) ? '' : ' (one had not started)'} to exit | ${secs(stops.map((s) => s.stop))} |`,
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
