/**
 * `npm run bench -- agent-state`: p50 / p95 of the agent-memory queries of issue 15 on an embedded SQLite file, at
 * BENCH_AGENT_SIZES records (30,000 and 300,000 by default): 3 agents walking a grid (bench/agent-grid.ts), then a
 * step range, a radius, an attribute threshold, importance >= 0.5 (each a first page of 10 with its true total) and
 * similarity + radius + step range + importance (a distance-bounded vector search, top 10 and total). Each query
 * varies its window, centre or threshold per run, so no answer is served from a cache.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spatialBounds } from '../src/core/filters.js';
import type { StoreFilter } from '../src/models/filters.js';
import type { MemoryStore } from '../src/store/port.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { GRID_ATTRIBUTE_PATHS, GRID_DIM, gridMemory, moodVector, simulate } from './agent-grid.js';
import { fmt, percentile } from './stats.js';

export interface AgentStateRow {
  size: number;
  query: string;
  matches: number;
  p50: number;
  p95: number;
}

const RUNS = Number(process.env.BENCH_AGENT_RUNS ?? 50);
const AGENTS = 3;
const f = (over: Partial<StoreFilter>): StoreFilter => ({ tags: {}, times: {}, ...over });

async function timed(fn: () => Promise<number>): Promise<{ ms: number; n: number }> {
  const t = performance.now();
  const n = await fn();
  return { ms: performance.now() - t, n };
}

function queries(steps: number): [string, (i: number) => (store: MemoryStore) => Promise<number>][] {
  const centre = (i: number) => ({ x: 35 + (i % 20), y: 45 + ((i * 7) % 20) });
  const window = (i: number) => Math.floor(((i * 0.37) % 0.9) * steps);
  return [
    [
      'step range (1,000 steps)',
      (i) => async (s) =>
        (await s.listMemories(f({ agent: { step: { gte: window(i), lte: window(i) + 999 } } }), 10, 0)).total,
    ],
    [
      'radius 6 around a point',
      (i) => async (s) =>
        (await s.listMemories(f({ agent: { spatial: spatialBounds({ within: { ...centre(i), radius: 6 } }) } }), 10, 0))
          .total,
    ],
    [
      'attribute content.health < t',
      (i) => async (s) =>
        (
          await s.listMemories(
            f({ agent: { attributes: [{ path: 'content.health', cond: { lt: 0.2 + (i % 10) / 100 } }] } }),
            10,
            0,
          )
        ).total,
    ],
    [
      'importance >= 0.5',
      (i) => async (s) => (await s.listMemories(f({ importance: { gte: 0.5 + (i % 5) / 1000 } }), 10, 0)).total,
    ],
    [
      'similarity + radius + steps + importance',
      (i) => async (s) =>
        (
          await s.vectorSearch(
            moodVector(i % 2 ? 'curious' : 'afraid', (i % 10) / 10),
            f({
              importance: { gte: 0.5 },
              agent: {
                step: { gte: window(i), lte: window(i) + Math.floor(steps / 2) },
                spatial: spatialBounds({ within: { ...centre(i), radius: 10 } }),
              },
            }),
            10,
            0.3,
          )
        ).total,
    ],
  ];
}

export async function measureAgentState(sizes: number[]): Promise<AgentStateRow[]> {
  const rows: AgentStateRow[] = [];
  for (const size of sizes) {
    const steps = Math.ceil(size / AGENTS);
    const dir = mkdtempSync(join(tmpdir(), 'agent-memory-bench-agent-'));
    const store = await openSqliteStore({ path: join(dir, 'agent.db'), attributePaths: GRID_ATTRIBUTE_PATHS });
    try {
      await store.ensureEmbeddingModel('grid-bench', GRID_DIM);
      const states = simulate(AGENTS, steps);
      const started = performance.now();
      for (let i = 0; i < states.length; i += 1000) {
        await store.putMemories(states.slice(i, i + 1000).map(gridMemory), { deduplicate: false });
      }
      process.stderr.write(
        `agent-state: ${states.length} records stored in ${((performance.now() - started) / 1000).toFixed(1)} s\n`,
      );
      for (const [name, make] of queries(steps)) {
        for (let i = 0; i < 5; i++) await make(i)(store); // warm-up
        const ms: number[] = [];
        const matches: number[] = [];
        for (let i = 0; i < RUNS; i++) {
          const r = await timed(() => make(i)(store));
          ms.push(r.ms);
          matches.push(r.n);
        }
        rows.push({
          size: states.length,
          query: name,
          matches: percentile(matches, 50),
          p50: percentile(ms, 50),
          p95: percentile(ms, 95),
        });
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return rows;
}

export function formatAgentState(rows: AgentStateRow[]): string {
  const lines = ['| records | query | matches (p50) | p50 ms | p95 ms |', '|---:|---|---:|---:|---:|'];
  for (const r of rows) {
    lines.push(`| ${r.size.toLocaleString('en-US')} | ${r.query} | ${r.matches} | ${fmt(r.p50)} | ${fmt(r.p95)} |`);
  }
  return lines.join('\n');
}
