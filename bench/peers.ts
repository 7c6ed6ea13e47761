/**
 * `npm run bench -- peers`: agent-memory side by side with its peers on the same facts and queries (bench/synthetic.ts
 * `makeFacts`: each fact is found only by ranking, its question's every term shared by many other facts).
 *
 * - MCP stdio, one SDK client: `agent-memory mcp` (SQLite file, offline embedder) against
 *   `@modelcontextprotocol/server-memory` (a JSONL file; one entity per fact). Both stores grow to each size in
 *   BENCH_PEERS_SIZES, batch by batch alternately, so load from other processes hits both; then single writes and
 *   searches, in blocks alternating between the two, repeated BENCH_PEERS_RUNS times (medians of the runs). The peer
 *   stops at the first size its predicted time exceeds BENCH_PEERS_PEER_BUDGET_S (the output says so).
 * - In-process, same facts, same query vectors: our engine (hybrid, keyword, semantic, opened on the file the MCP
 *   server wrote), @orama/orama (hybrid, keyword), vectra (semantic) and an exact scan in plain JS over the same
 *   vectors (the brute-force bound), in interleaved blocks; each system has BENCH_PEERS_SYSTEM_BUDGET_S per size.
 *
 * Writes JSON, a Markdown table and SVG charts into BENCH_PEERS_OUT (bench/results), and the table and charts into
 * BENCH_PEERS_DOCS (docs/bench; empty for none).
 *
 * Defaults fit a fresh clone's 20 minutes on a 2-core machine: BENCH_PEERS_SIZES=1000,10000 (add 100000 for the
 * full scale: our ingest with the default sentence encoder dominates, about 30–40 min there when loaded),
 * BENCH_PEERS_RUNS=3, BENCH_PEERS_QUERIES=50 facts (100 searches), BENCH_PEERS_BATCH=500, BENCH_PEERS_SINGLES=20,
 * BENCH_PEERS_PEER_BUDGET_S=300, BENCH_PEERS_SYSTEM_BUDGET_S=40; BENCH_PEERS_MODEL sets our EMBEDDING_MODEL.
 * Background compaction is off in both of our processes (COMPACTION_EVERY_MINUTES=0), so it cannot land in a
 * measurement.
 */
import { execFileSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { PACKAGE_ROOT } from '../src/version.js';
import { connect, spawnClient, timed } from './mcp-latency.js';
import { type InProcessRow, InProcessSuite } from './peers-inprocess.js';
import { fmt, median, percentile } from './stats.js';
import { lineChart, type Series } from './svg-chart.js';
import { type Fact, makeFacts } from './synthetic.js';

export interface PeersOptions {
  sizes: number[];
  /** Repetitions of the measurements at each size (medians are reported). */
  runs: number;
  /** Facts searched per size; each is searched twice (its question and its phrase). */
  queries: number;
  /** Facts per create call while the stores grow. */
  batch: number;
  /** Single-fact writes per run and size. */
  singles: number;
  peerBudgetS: number;
  systemBudgetS: number;
  outDir: string;
  docsDir?: string;
  /** EMBEDDING_MODEL for our server (the default embedder when absent). */
  model?: string;
}

const num = (name: string, def: number) => {
  const v = process.env[name];
  if (v === undefined || v === '') return def;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name}=${v}: expected a positive number`);
  return n;
};

export function peersOptionsFromEnv(): PeersOptions {
  const sizes = (process.env.BENCH_PEERS_SIZES ?? '1000,10000')
    .split(',')
    .map((s) => Number(s.trim()))
    .filter((n) => Number.isInteger(n) && n > 0)
    .sort((a, b) => a - b);
  if (!sizes.length) throw new Error('BENCH_PEERS_SIZES: expected sizes such as 1000,10000');
  return {
    sizes,
    runs: num('BENCH_PEERS_RUNS', 3),
    queries: num('BENCH_PEERS_QUERIES', 50),
    batch: num('BENCH_PEERS_BATCH', 500),
    singles: num('BENCH_PEERS_SINGLES', 20),
    peerBudgetS: num('BENCH_PEERS_PEER_BUDGET_S', 300),
    systemBudgetS: num('BENCH_PEERS_SYSTEM_BUDGET_S', 40),
    outDir: process.env.BENCH_PEERS_OUT ?? join(PACKAGE_ROOT, 'bench', 'results'),
    docsDir: process.env.BENCH_PEERS_DOCS ?? join(PACKAGE_ROOT, 'docs', 'bench'),
    model: process.env.BENCH_PEERS_MODEL || undefined,
  };
}

export interface McpRow {
  size: number;
  server: string;
  /** Facts per second while growing to this size, in create calls of `batch` facts. */
  writesPerSecond: number;
  /** One fact per create call, p50 (median of the runs). */
  singleWriteP50: number;
  searchP50: number;
  searchP95: number;
  /** Share of questions / phrases whose fact came first. */
  foundFirstQuestion: number;
  foundFirstPhrase: number;
  searches: number;
  /** Bytes on disk per fact (the SQLite file with its WAL; the JSONL file). */
  bytesPerMemory: number;
}

export interface PeersResult {
  machine: { nproc: number; cpu: string; node: string; date: string };
  settings: Omit<PeersOptions, 'outDir' | 'docsDir'> & { embedder: string; command: string };
  mcp: McpRow[];
  inProcess: InProcessRow[];
  notes: string[];
}

const OURS = 'agent-memory';
const PEER = 'server-memory';

interface McpSystem {
  name: string;
  client: Client;
  write(facts: Fact[]): Promise<void>;
  /** The id of the first result, if any. */
  search(query: string): Promise<string | undefined>;
  bytes(): number;
}

function checked(res: Awaited<ReturnType<Client['callTool']>>, what: string) {
  if (res.isError) {
    const text = (res.content as { text?: string }[] | undefined)?.map((c) => c.text).join(' ');
    throw new Error(`${what}: ${text}`);
  }
  return res.structuredContent as Record<string, unknown> | undefined;
}

const fileSize = (p: string) => (existsSync(p) ? statSync(p).size : 0);

async function ours(dbPath: string, model: string | undefined): Promise<McpSystem> {
  const client = await connect(dbPath, {
    COMPACTION_EVERY_MINUTES: '0',
    ...(model ? { EMBEDDING_MODEL: model } : {}),
  });
  return {
    name: OURS,
    client,
    async write(facts) {
      checked(
        await client.callTool({
          name: 'create_long_term_memories',
          arguments: { memories: facts.map((f) => ({ id: f.id, text: f.text })) },
        }),
        'create_long_term_memories',
      );
    },
    async search(query) {
      const out = checked(await client.callTool({ name: 'search_memory', arguments: { query, limit: 10 } }), 'search');
      return (out?.memories as { id: string }[] | undefined)?.[0]?.id;
    },
    bytes: () => fileSize(dbPath) + fileSize(`${dbPath}-wal`),
  };
}

async function peer(file: string): Promise<McpSystem> {
  const bin = join(PACKAGE_ROOT, 'node_modules', '@modelcontextprotocol', 'server-memory', 'dist', 'index.js');
  const client = await spawnClient([bin], { MEMORY_FILE_PATH: file });
  return {
    name: PEER,
    client,
    async write(facts) {
      checked(
        await client.callTool({
          name: 'create_entities',
          arguments: { entities: facts.map((f) => ({ name: f.id, entityType: 'memory', observations: [f.text] })) },
        }),
        'create_entities',
      );
    },
    async search(query) {
      const out = checked(await client.callTool({ name: 'search_nodes', arguments: { query } }), 'search_nodes');
      return (out?.entities as { name: string }[] | undefined)?.[0]?.name;
    },
    bytes: () => fileSize(file),
  };
}

function machine(): PeersResult['machine'] {
  let cpu = cpus()[0]?.model ?? 'unknown';
  try {
    cpu = /model name\s*:\s*(.+)/.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1]?.trim() ?? cpu;
  } catch {}
  let nproc = cpus().length;
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim()) || nproc;
  } catch {}
  return { nproc, cpu, node: process.version, date: new Date().toISOString() };
}

/** The facts searched at `size`: `count` spread evenly over the facts stored. */
export function searchedFacts(size: number, count: number): Fact[] {
  const n = Math.min(size, count);
  const out: Fact[] = [];
  for (let k = 0; k < n; k++) {
    const i = Math.floor(((k + 0.5) * size) / n);
    out.push(makeFacts(i, i + 1)[0]!);
  }
  return out;
}

export interface Query {
  fact: Fact;
  kind: 'question' | 'phrase';
  text: string;
}

export const queriesOf = (facts: Fact[]): Query[] =>
  facts.flatMap((fact) => [
    { fact, kind: 'question' as const, text: fact.question },
    { fact, kind: 'phrase' as const, text: fact.phrase },
  ]);

const log = (s: string) => process.stderr.write(`bench peers: ${s}\n`);

export async function runPeers(opts: PeersOptions): Promise<PeersResult> {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-peers-'));
  const dbPath = join(dir, 'ours.db');
  const notes: string[] = [];
  const mcp: McpRow[] = [];
  const inProcess: InProcessRow[] = [];
  const systems: McpSystem[] = [await ours(dbPath, opts.model), await peer(join(dir, 'peer.jsonl'))];
  let peerActive = true;
  let peerSpentMs = 0;
  /** Per-fact-per-stored-fact cost of the peer's writes (it rewrites its file per call) and per-search cost. */
  let peerWriteCoef = 0;
  let peerSearchMsPerFact = 0;
  const suite = new InProcessSuite(dir, dbPath, opts.model, opts.systemBudgetS * 1000, log);
  let singleNext = opts.sizes.at(-1)!;
  let loaded = 0;
  try {
    for (const size of opts.sizes) {
      // Predict the peer's time at this size from the last one: writes grow with the square of the size.
      if (peerActive && peerWriteCoef > 0) {
        const predicted =
          (peerWriteCoef * (size * size - loaded * loaded)) / 2 / opts.batch +
          peerSearchMsPerFact * size * opts.runs * (2 * opts.queries + opts.singles);
        if (peerSpentMs + predicted > opts.peerBudgetS * 1000) {
          peerActive = false;
          notes.push(
            `${PEER} stops at ${loaded.toLocaleString('en')} facts: ${size.toLocaleString('en')} would take about ${Math.round(predicted / 1000)} s more, over its ${opts.peerBudgetS} s budget (BENCH_PEERS_PEER_BUDGET_S; ${Math.round(peerSpentMs / 1000)} s spent).`,
          );
          log(notes.at(-1)!);
          await systems[1]!.client.close();
          systems.pop();
        }
      }
      const active = systems;
      // Grow both stores batch by batch, alternating which goes first.
      const writeMs = new Map<string, number>(active.map((s) => [s.name, 0]));
      const from = loaded;
      for (let i = from, b = 0; i < size; i += opts.batch, b++) {
        const facts = makeFacts(i, Math.min(size, i + opts.batch));
        const order = b % 2 ? [...active].reverse() : active;
        for (const s of order) {
          const ms = await timed(() => s.write(facts));
          writeMs.set(s.name, writeMs.get(s.name)! + ms);
        }
        process.stderr.write(`\rbench peers: loading ${Math.min(size, i + opts.batch)}/${size} facts`);
      }
      process.stderr.write('\n');
      loaded = size;
      const queries = queriesOf(searchedFacts(size, opts.queries));
      const times = new Map<string, { search: number[][]; single: number[][]; hits: Map<Query['kind'], number> }>();
      for (const s of active) times.set(s.name, { search: [], single: [], hits: new Map() });
      for (const s of active) for (const q of queries.slice(0, 6)) await s.search(q.text); // warm-up
      for (let r = 0; r < opts.runs; r++) {
        const order = r % 2 ? [...active].reverse() : active;
        const singles = makeFacts(singleNext, singleNext + opts.singles);
        singleNext += opts.singles;
        for (const s of order) times.get(s.name)!.single.push([]);
        for (const s of order) times.get(s.name)!.search.push([]);
        for (const [i, f] of singles.entries()) {
          for (const s of i % 2 ? [...order].reverse() : order)
            times
              .get(s.name)!
              .single.at(-1)!
              .push(await timed(() => s.write([f])));
        }
        const block = 10;
        for (let b = 0; b < queries.length; b += block) {
          for (const s of (b / block) % 2 ? [...order].reverse() : order) {
            const t = times.get(s.name)!;
            for (const q of queries.slice(b, b + block)) {
              const t0 = performance.now();
              const first = await s.search(q.text);
              t.search.at(-1)!.push(performance.now() - t0);
              if (r === 0 && first === q.fact.id) t.hits.set(q.kind, (t.hits.get(q.kind) ?? 0) + 1);
            }
          }
        }
      }
      const perKind = queries.length / 2;
      for (const s of active) {
        const t = times.get(s.name)!;
        const row: McpRow = {
          size,
          server: s.name,
          writesPerSecond: ((size - from) / writeMs.get(s.name)!) * 1000,
          singleWriteP50: median(t.single.map((xs) => percentile(xs, 50))),
          searchP50: median(t.search.map((xs) => percentile(xs, 50))),
          searchP95: median(t.search.map((xs) => percentile(xs, 95))),
          foundFirstQuestion: (t.hits.get('question') ?? 0) / perKind,
          foundFirstPhrase: (t.hits.get('phrase') ?? 0) / perKind,
          searches: t.search.reduce((n, xs) => n + xs.length, 0),
          bytesPerMemory: s.bytes() / (size + (singleNext - opts.sizes.at(-1)!)),
        };
        mcp.push(row);
        log(
          `${size} ${s.name}: ${Math.round(row.writesPerSecond)} writes/s, single ${fmt(row.singleWriteP50)} ms, search p50 ${fmt(row.searchP50)} ms p95 ${fmt(row.searchP95)} ms, first ${pct(row.foundFirstQuestion)} / ${pct(row.foundFirstPhrase)}`,
        );
        if (s.name === PEER) {
          const spent = writeMs.get(s.name)! + t.search.flat().reduce((a, b) => a + b, 0);
          peerSpentMs += spent + t.single.flat().reduce((a, b) => a + b, 0);
          peerWriteCoef = (writeMs.get(s.name)! * 2 * opts.batch) / (size * size - from * from);
          peerSearchMsPerFact = median(t.search.flat()) / size;
        }
      }
      inProcess.push(...(await suite.measure(size, queries, opts.runs)));
    }
  } finally {
    for (const s of systems) await s.client.close().catch(() => {});
    await suite.close();
    rmSync(dir, { recursive: true, force: true });
  }
  if (peerActive && opts.sizes.length) notes.push(`${PEER} ran at every size.`);
  notes.push(...suite.notes);
  return {
    machine: machine(),
    settings: {
      sizes: opts.sizes,
      runs: opts.runs,
      queries: opts.queries,
      batch: opts.batch,
      singles: opts.singles,
      peerBudgetS: opts.peerBudgetS,
      systemBudgetS: opts.systemBudgetS,
      model: opts.model,
      embedder: suite.model ?? opts.model ?? 'default',
      command: `BENCH_PEERS_SIZES=${opts.sizes.join(',')} BENCH_PEERS_RUNS=${opts.runs} BENCH_PEERS_QUERIES=${opts.queries} BENCH_PEERS_PEER_BUDGET_S=${opts.peerBudgetS} npm run bench -- peers`,
    },
    mcp,
    inProcess,
    notes,
  };
}

const pct = (x: number) => `${Math.round(x * 100)} %`;
const n = (x: number) => x.toLocaleString('en');
const rate = (x: number) => (Number.isFinite(x) ? n(Math.round(x)) : '–');

export function formatPeers(res: PeersResult): string {
  const m = res.machine;
  const lines = [
    `Machine: ${m.nproc} cores (\`nproc\`), ${m.cpu}, Node ${m.node}, ${m.date.slice(0, 10)}; embedder ${res.settings.embedder}.`,
    `Command: \`${res.settings.command}\`; medians of ${res.settings.runs} interleaved runs, ${res.settings.queries * 2} searches per run and size.`,
    '',
    `**MCP stdio** (same SDK client and facts; writes in calls of ${res.settings.batch} facts while the stores grow; found first: its question / its phrase, where ${PEER} can only match a query that is a substring of a fact, as each phrase is; bytes per fact: our SQLite file with its WAL, the peer's JSONL file)`,
    '',
    '| facts | server | writes/s | single write p50 ms | search p50 ms | search p95 ms | found first | bytes per fact |',
    '|---:|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const r of res.mcp) {
    lines.push(
      `| ${n(r.size)} | ${r.server} | ${rate(r.writesPerSecond)} | ${fmt(r.singleWriteP50)} | ${fmt(r.searchP50)} | ${fmt(r.searchP95)} | ${pct(r.foundFirstQuestion)} / ${pct(r.foundFirstPhrase)} | ${n(Math.round(r.bytesPerMemory))} |`,
    );
    const o = res.mcp.find((x) => x.size === r.size && x.server === OURS);
    // After the peer's row: how many times faster ours is (above 1: ours is faster).
    if (r.server === PEER && o)
      lines.push(
        `| ${n(r.size)} | *${OURS} ÷ ${PEER}* | *${(o.writesPerSecond / r.writesPerSecond).toPrecision(2)}×* | *${(r.singleWriteP50 / o.singleWriteP50).toPrecision(2)}×* | *${(r.searchP50 / o.searchP50).toPrecision(2)}×* | *${(r.searchP95 / o.searchP95).toPrecision(2)}×* | | |`,
      );
  }
  lines.push(
    '',
    '**In-process** (same facts, same query vectors; found first: question / phrase)',
    '',
    '| facts | system | mode | p50 ms | p95 ms | found first | searches | writes/s |',
    '|---:|---|---|---:|---:|---:|---:|---:|',
  );
  for (const r of res.inProcess)
    lines.push(
      `| ${n(r.size)} | ${r.system} | ${r.mode} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${pct(r.foundFirstQuestion)} / ${pct(r.foundFirstPhrase)} | ${r.searches} | ${r.writesPerSecond === undefined ? '' : rate(r.writesPerSecond)} |`,
    );
  if (res.notes.length) lines.push('', ...res.notes.map((s) => `- ${s}`));
  return `${lines.join('\n')}\n`;
}

export const CHARTS = ['peers-mcp-search', 'peers-inprocess-search', 'peers-writes', 'peers-size'] as const;

export function peerCharts(res: PeersResult): Record<(typeof CHARTS)[number], string> {
  const mcpSeries = (value: (r: McpRow) => number, label = ''): Series[] =>
    [OURS, PEER].map((server, color) => ({
      name: `${server}${label}`,
      color,
      points: res.mcp.filter((r) => r.server === server).map((r) => [r.size, value(r)] as [number, number]),
    }));
  const inproc = new Map<string, InProcessRow[]>();
  for (const r of res.inProcess) {
    const key = `${r.system} ${r.mode}`;
    inproc.set(key, [...(inproc.get(key) ?? []), r]);
  }
  const sub = `${res.machine.nproc} cores, ${res.machine.cpu.replace(/\s+/g, ' ')}`;
  return {
    'peers-mcp-search': lineChart({
      title: `MCP stdio search vs facts stored (${sub})`,
      xLabel: 'facts stored',
      yLabel: 'search p50 (p95 dashed), ms',
      logX: true,
      logY: true,
      series: [
        ...mcpSeries((r) => r.searchP50),
        ...mcpSeries((r) => r.searchP95, ' p95').map((s) => ({ ...s, dashed: true })),
      ],
    }),
    'peers-inprocess-search': lineChart({
      title: 'In-process search p50 vs facts stored',
      xLabel: 'facts stored',
      yLabel: 'search p50, ms',
      logX: true,
      logY: true,
      series: [...inproc].map(([name, rows]) => ({
        name,
        points: rows.map((r) => [r.size, r.p50] as [number, number]),
        dashed: rows[0]?.system === 'brute force',
      })),
    }),
    'peers-writes': lineChart({
      title: 'Writes per second while the store grows',
      xLabel: 'facts stored',
      yLabel: 'facts written per second',
      logX: true,
      logY: true,
      series: [
        ...mcpSeries((r) => r.writesPerSecond, ' (MCP, batches)'),
        ...mcpSeries((r) => 1000 / r.singleWriteP50, ' (MCP, one per call)').map((s) => ({ ...s, dashed: true })),
        ...[...inproc]
          .filter(([, rows]) => rows.some((r) => r.writesPerSecond !== undefined))
          .map(([name, rows]) => ({
            name: `${name.split(' ')[0]} (in-process)`,
            points: rows.map((r) => [r.size, r.writesPerSecond ?? Number.NaN] as [number, number]),
          })),
      ],
    }),
    'peers-size': lineChart({
      title: 'Bytes on disk per fact',
      xLabel: 'facts stored',
      yLabel: 'bytes per fact',
      logX: true,
      series: [
        ...mcpSeries((r) => r.bytesPerMemory),
        ...[...inproc]
          .filter(([, rows]) => rows.some((r) => r.bytesPerMemory !== undefined))
          .map(([name, rows]) => ({
            name: name.split(' ')[0]!,
            points: rows.map((r) => [r.size, r.bytesPerMemory ?? Number.NaN] as [number, number]),
          })),
      ],
    }),
  };
}

/** Writes peers.json, peers.md and the charts into `outDir`, and the table and charts into `docsDir` if given. */
export function writePeers(res: PeersResult, outDir: string, docsDir?: string): string {
  mkdirSync(outDir, { recursive: true });
  const table = formatPeers(res);
  writeFileSync(join(outDir, 'peers.json'), `${JSON.stringify(res, null, 2)}\n`);
  writeFileSync(join(outDir, 'peers.md'), table);
  const charts = peerCharts(res);
  for (const [name, svg] of Object.entries(charts)) writeFileSync(join(outDir, `${name}.svg`), svg);
  if (docsDir) {
    mkdirSync(docsDir, { recursive: true });
    for (const f of ['peers.md', ...CHARTS.map((c) => `${c}.svg`)]) copyFileSync(join(outDir, f), join(docsDir, f));
  }
  log(`wrote ${outDir}${docsDir ? ` and ${docsDir}` : ''}`);
  return table;
}
