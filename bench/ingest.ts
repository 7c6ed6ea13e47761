/**
 * `npm run bench -- ingest`: memories created per second through the engine (`longTerm.create`, the call behind
 * POST /v1/long-term-memory/ and create_long_term_memories), each run on a fresh SQLite file, background worker off.
 * Per embedder (BENCH_INGEST_MODELS; the light offline ones at BENCH_INGEST_SIZE facts, default 10000, the default
 * sentence encoder at BENCH_INGEST_SMALL, default 500): synthetic facts in batches of 500 (the headline), 50 and 1,
 * facts with session ids (20 to a session), LoCoMo dev's dialogue turns in conversation order and shuffled (with
 * their sessions; when the shared data is found), facts with SQLITE_COMPRESS=false, and the embedder alone on the
 * same texts (the bound a store can approach). BENCH_INGEST_ROUNDS rounds (default 3), variants interleaved; medians.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config.js';
import { openEngine } from '../src/core/engine.js';
import { makeEmbedder } from '../src/llm/make-embedder.js';
import { prng } from './agent-grid.js';
import { locomoTurns } from './locomo-turns.js';
import { fmtCount, median } from './stats.js';
import { makeFacts } from './synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'am-bench-ingest-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const HEAVY = new Set(['offline-use-wordvec-v1']);

interface Item {
  text: string;
  session_id?: string;
}

interface Variant {
  label: string;
  items: Item[];
  batch: number;
  compress?: boolean;
  /** The embedder alone: no store. */
  embedOnly?: boolean;
}

export interface IngestRow {
  model: string;
  label: string;
  n: number;
  batch: number;
  perSecond: number[];
}

function shuffled<T>(items: T[], seed = 5): T[] {
  const out = [...items];
  const r = prng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

/** Rate of `write` over `items` in batches of `batch`, in items per second. */
async function perSecond(items: Item[], batch: number, write: (slice: Item[]) => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  for (let i = 0; i < items.length; i += batch) await write(items.slice(i, i + batch));
  return items.length / ((performance.now() - t0) / 1000);
}

function variants(size: number): Variant[] {
  const facts: Item[] = makeFacts(0, size).map((f) => ({ text: f.text }));
  const small = facts.slice(0, Math.min(size, 1000));
  const withSessions = facts.map((f, i) => ({ ...f, session_id: `s-${Math.floor(i / 20)}` }));
  const turns = locomoTurns()
    .slice(0, size)
    .map((t) => ({ text: t.text, session_id: t.session }));
  const out: Variant[] = [
    { label: 'facts, batches of 500', items: facts, batch: 500 },
    { label: 'facts, batches of 50', items: facts, batch: 50 },
    { label: 'facts, one at a time', items: small, batch: 1 },
    { label: 'facts with session ids, batches of 500', items: withSessions, batch: 500 },
  ];
  if (turns.length) {
    out.push({ label: 'LoCoMo turns in order, with sessions', items: turns, batch: 500 });
    out.push({ label: 'LoCoMo turns shuffled, with sessions', items: shuffled(turns), batch: 500 });
  }
  out.push({ label: 'facts, batches of 500, SQLITE_COMPRESS=false', items: facts, batch: 500, compress: false });
  out.push({ label: 'embedder alone (same facts, batches of 500)', items: facts, batch: 500, embedOnly: true });
  return out;
}

async function runOnce(model: string, v: Variant): Promise<number> {
  const config = loadConfig({
    MEMORY_BACKEND: 'sqlite',
    SQLITE_PATH: join(dir, `ingest-${++files}.db`),
    LOG_LEVEL: 'silent',
    EMBEDDING_MODEL: model,
    ...(v.compress === false ? { SQLITE_COMPRESS: 'false' } : {}),
  });
  if (v.embedOnly) {
    const embedder = await makeEmbedder(config.embedding);
    try {
      // Loading a model is start-up, not ingest: the engine's runs below pay it before their clock starts too.
      await embedder.embed(['warm up'], 'memory');
      return await perSecond(v.items, v.batch, (slice) =>
        embedder.embed(
          slice.map((x) => x.text),
          'memory',
        ),
      );
    } finally {
      await embedder.close?.();
    }
  }
  const engine = await openEngine(config, { autoStartWorker: false });
  try {
    await engine.longTerm.create([{ text: 'warm up the embedder and the statements' }]);
    return await perSecond(v.items, v.batch, (slice) => engine.longTerm.create(slice));
  } finally {
    await engine.close();
  }
}

export async function measureIngest(): Promise<IngestRow[]> {
  const models = (process.env.BENCH_INGEST_MODELS ?? 'offline-hash-v1,offline-wordvec-v1,offline-use-wordvec-v1').split(
    ',',
  );
  const rounds = Number(process.env.BENCH_INGEST_ROUNDS ?? 3);
  const rows: IngestRow[] = [];
  for (const model of models) {
    const size = Number(
      HEAVY.has(model) ? (process.env.BENCH_INGEST_SMALL ?? 500) : (process.env.BENCH_INGEST_SIZE ?? 10_000),
    );
    const vs = variants(size);
    const mine = vs.map((v) => ({
      model,
      label: v.label,
      n: v.items.length,
      batch: v.batch,
      perSecond: [] as number[],
    }));
    for (let r = 0; r < rounds; r++) {
      for (const [i, v] of vs.entries()) {
        const rate = await runOnce(model, v);
        mine[i]!.perSecond.push(rate);
        process.stderr.write(`ingest ${model} round ${r + 1}/${rounds}: ${v.label}: ${Math.round(rate)}/s\n`);
      }
    }
    rows.push(...mine);
  }
  return rows;
}

export function formatIngest(rows: IngestRow[]): string {
  const lines = [
    '| embedder | variant | memories | median memories/s | range | vs embedder alone |',
    '|---|---|---:|---:|---:|---:|',
  ];
  for (const row of rows) {
    const bound = rows.find((r) => r.model === row.model && r.label.startsWith('embedder alone'));
    const m = median(row.perSecond);
    const ratio = bound && bound !== row ? `${((m / median(bound.perSecond)) * 100).toFixed(0)} %` : '';
    lines.push(
      `| ${row.model} | ${row.label} | ${fmtCount(row.n)} | ${fmtCount(m)} | ${fmtCount(Math.min(...row.perSecond))}–${fmtCount(Math.max(...row.perSecond))} | ${ratio} |`,
    );
  }
  return lines.join('\n');
}
