/**
 * The in-process half of `npm run bench -- peers`: our engine (opened on the SQLite file the MCP server wrote), @orama/orama,
 * vectra and an exact scan in plain JS, on the same facts and the same vectors (our offline embedder's), grown with
 * the MCP stores and searched in interleaved blocks.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { create, insertMultiple, MODE_HYBRID_SEARCH, type Orama, search } from '@orama/orama';
import { LocalIndex } from 'vectra';
import { loadConfig } from '../src/config.js';
import { type Engine, openEngine } from '../src/core/engine.js';
import type { SearchMode } from '../src/models/search.js';
import type { Query } from './peers.js';
import { median, percentile } from './stats.js';
import { makeFacts } from './synthetic.js';

export interface InProcessRow {
  size: number;
  system: string;
  mode: string;
  p50: number;
  p95: number;
  foundFirstQuestion: number;
  foundFirstPhrase: number;
  searches: number;
  /** Facts inserted per second while growing to this size (the peers; ours is measured over MCP). */
  writesPerSecond?: number;
  bytesPerMemory?: number;
}

interface System {
  system: string;
  mode: string;
  run(q: Query, vector: Float32Array): Promise<string | undefined>;
  writesPerSecond?: number;
  bytesPerMemory?: number;
}

function normalize(v: Float32Array): Float32Array {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! * v[i]!;
  const k = s > 0 ? 1 / Math.sqrt(s) : 0;
  const out = new Float32Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = v[i]! * k;
  return out;
}

/** Exact top-k by dot product over unit rows of `matrix` (the brute-force bound). */
export function exactTopK(matrix: Float32Array, dim: number, count: number, q: Float32Array, k: number): number[] {
  const best: { i: number; s: number }[] = [];
  for (let r = 0; r < count; r++) {
    const o = r * dim;
    let s = 0;
    for (let j = 0; j < dim; j++) s += matrix[o + j]! * q[j]!;
    if (best.length < k || s > best[best.length - 1]!.s) {
      let p = Math.min(best.length, k - 1);
      if (best.length < k) best.push({ i: r, s });
      while (p > 0 && best[p - 1]!.s < s) {
        best[p] = best[p - 1]!;
        p--;
      }
      best[p] = { i: r, s };
    }
  }
  return best.map((b) => b.i);
}

// biome-ignore lint/suspicious/noExplicitAny: Orama's schema type is generic over the schema literal.
type OramaDb = Orama<any>;

export class InProcessSuite {
  readonly notes: string[] = [];
  model: string | undefined;
  private count = 0;
  private dim = 0;
  private matrix = new Float32Array(0);
  private orama: OramaDb | undefined;
  private vectra: LocalIndex | undefined;
  private dropped = new Set<string>();
  private lastIngest = new Map<string, { ms: number; facts: number }>();

  constructor(
    private readonly dir: string,
    private readonly dbPath: string,
    private readonly embedModel: string | undefined,
    private readonly budgetMs: number,
    private readonly log: (s: string) => void,
  ) {}

  private async openEngine(): Promise<Engine> {
    const env: Record<string, string> = {
      MEMORY_BACKEND: 'sqlite',
      SQLITE_PATH: this.dbPath,
      LOG_LEVEL: 'silent',
      COMPACTION_EVERY_MINUTES: '0',
      // Repeated bench queries would be answered by the query cache: measure the search itself.
      QUERY_CACHE_TTL_SECONDS: '0',
    };
    if (this.embedModel) env.EMBEDDING_MODEL = this.embedModel;
    for (const k of ['OFFLINE_VECTORS_DIR', 'SQLITE_SEARCH_THREAD'] as const)
      if (process.env[k]) env[k] = process.env[k];
    return openEngine(loadConfig(env));
  }

  /** Whether `name` may still ingest `facts` more within the budget (linear prediction from its last growth). */
  private affordable(name: string, facts: number, size: number): boolean {
    if (this.dropped.has(name)) return false;
    const last = this.lastIngest.get(name);
    if (!last || last.ms * (facts / last.facts) <= this.budgetMs * 2) return true;
    this.dropped.add(name);
    this.notes.push(
      `${name} stops before ${size.toLocaleString('en')} facts: inserting ${facts.toLocaleString('en')} more would take about ${Math.round((last.ms * facts) / last.facts / 1000)} s, over twice its ${this.budgetMs / 1000} s budget (BENCH_PEERS_SYSTEM_BUDGET_S).`,
    );
    this.log(this.notes.at(-1)!);
    return false;
  }

  private async grow(engine: Engine, size: number): Promise<{ orama?: number; vectra?: number }> {
    const from = this.count;
    const facts = makeFacts(from, size);
    const vectors: Float32Array[] = [];
    for (let i = 0; i < facts.length; i += 2000)
      for (const v of await engine.embedder.embed(facts.slice(i, i + 2000).map((f) => f.text)))
        vectors.push(normalize(v));
    this.dim = engine.embedder.dimension;
    const grown = new Float32Array(size * this.dim);
    grown.set(this.matrix.subarray(0, from * this.dim));
    for (const [i, v] of vectors.entries()) grown.set(v, (from + i) * this.dim);
    this.matrix = grown;
    this.count = size;
    const rates: { orama?: number; vectra?: number } = {};
    if (this.affordable('orama', facts.length, size)) {
      this.orama ??= create({ schema: { id: 'string', text: 'string', embedding: `vector[${this.dim}]` } as const });
      const docs = facts.map((f, i) => ({ id: f.id, text: f.text, embedding: Array.from(vectors[i]!) }));
      const t0 = performance.now();
      for (let i = 0; i < docs.length; i += 500) await insertMultiple(this.orama, docs.slice(i, i + 500));
      const ms = performance.now() - t0;
      this.lastIngest.set('orama', { ms, facts: facts.length });
      rates.orama = (facts.length / ms) * 1000;
    }
    if (this.affordable('vectra', facts.length, size)) {
      try {
        if (!this.vectra) {
          this.vectra = new LocalIndex(join(this.dir, 'vectra'));
          await this.vectra.createIndex();
        }
        const t0 = performance.now();
        await this.vectra.beginUpdate();
        for (const [i, f] of facts.entries())
          await this.vectra.insertItem({ id: f.id, vector: Array.from(vectors[i]!), metadata: { text: f.text } });
        await this.vectra.endUpdate();
        const ms = performance.now() - t0;
        this.lastIngest.set('vectra', { ms, facts: facts.length });
        rates.vectra = (facts.length / ms) * 1000;
      } catch (err) {
        this.vectra?.cancelUpdate();
        this.dropped.add('vectra');
        this.notes.push(
          `vectra failed at ${size.toLocaleString('en')} facts: ${err instanceof Error ? err.message : String(err)}`,
        );
        this.log(this.notes.at(-1)!);
      }
    }
    return rates;
  }

  async measure(size: number, queries: Query[], runs: number): Promise<InProcessRow[]> {
    const engine = await this.openEngine();
    try {
      this.model = engine.embedder.model;
      this.log(`in-process: embedding and inserting ${size - this.count} facts`);
      const rates = await this.grow(engine, size);
      const qv = (await engine.embedder.embed(queries.map((q) => q.text))).map(normalize);
      const vectorOf = new Map(queries.map((q, i) => [q, qv[i]!]));
      const ids = (n: number[]) => n.map((i) => `fact-${i}`);
      const systems: System[] = (['hybrid', 'keyword', 'semantic'] as SearchMode[]).map((mode) => ({
        system: 'agent-memory',
        mode,
        run: async (q) =>
          (await engine.longTerm.search({ text: q.text, search_mode: mode, limit: 10 }, { touch: false })).memories[0]
            ?.id,
      }));
      const db = this.orama;
      if (db && !this.dropped.has('orama')) {
        const orama = (r: { hits: { document: { id: string } }[] }) => r.hits[0]?.document.id;
        systems.push(
          {
            system: 'orama',
            mode: 'hybrid',
            writesPerSecond: rates.orama,
            run: async (q, v) =>
              orama(
                await search(db, {
                  mode: MODE_HYBRID_SEARCH,
                  term: q.text,
                  properties: ['text'],
                  vector: { value: Array.from(v), property: 'embedding' },
                  similarity: 0.1,
                  limit: 10,
                }),
              ),
          },
          {
            system: 'orama',
            mode: 'keyword',
            run: async (q) => orama(await search(db, { term: q.text, properties: ['text'], limit: 10 })),
          },
        );
      }
      const vectra = this.vectra;
      if (vectra && !this.dropped.has('vectra')) {
        const file = join(this.dir, 'vectra', 'index.json');
        systems.push({
          system: 'vectra',
          mode: 'semantic',
          writesPerSecond: rates.vectra,
          bytesPerMemory: existsSync(file) ? statSync(file).size / size : undefined,
          run: async (_q, v) => (await vectra.queryItems(Array.from(v), '', 10))[0]?.item.id,
        });
      }
      systems.push({
        system: 'brute force',
        mode: 'semantic (exact)',
        run: async (_q, v) => ids(exactTopK(this.matrix, this.dim, this.count, v, 10))[0],
      });

      for (const s of systems) for (const q of queries.slice(0, 3)) await s.run(q, vectorOf.get(q)!); // warm-up
      const key = (s: System) => `${s.system}|${s.mode}`;
      const samples = new Map<string, number[][]>(systems.map((s) => [key(s), []]));
      const hits = new Map<string, { question: number; phrase: number; question_n: number; phrase_n: number }>(
        systems.map((s) => [key(s), { question: 0, phrase: 0, question_n: 0, phrase_n: 0 }]),
      );
      const spent = new Map<string, number>(systems.map((s) => [key(s), 0]));
      const block = 10;
      for (let r = 0; r < runs; r++) {
        for (const s of systems) samples.get(key(s))!.push([]);
        for (let b = 0; b < queries.length; b += block) {
          const order = systems.map((_, i) => systems[(i + b / block + r) % systems.length]!);
          for (const s of order) {
            const k = key(s);
            // Over budget: a system still gets the first block of every run, so each run has samples.
            if (b > 0 && spent.get(k)! > (this.budgetMs * (r + 1)) / runs) continue;
            const xs = samples.get(k)!.at(-1)!;
            const h = hits.get(k)!;
            for (const q of queries.slice(b, b + block)) {
              const t0 = performance.now();
              const first = await s.run(q, vectorOf.get(q)!);
              const ms = performance.now() - t0;
              xs.push(ms);
              spent.set(k, spent.get(k)! + ms);
              if (r === 0) {
                h[`${q.kind}_n`]++;
                if (first === q.fact.id) h[q.kind]++;
              }
            }
          }
        }
      }
      const rows = systems.map((s): InProcessRow => {
        const runsOf = samples.get(key(s))!.filter((xs) => xs.length);
        const h = hits.get(key(s))!;
        return {
          size,
          system: s.system,
          mode: s.mode,
          p50: median(runsOf.map((xs) => percentile(xs, 50))),
          p95: median(runsOf.map((xs) => percentile(xs, 95))),
          foundFirstQuestion: h.question / (h.question_n || 1),
          foundFirstPhrase: h.phrase / (h.phrase_n || 1),
          searches: runsOf.reduce((n, xs) => n + xs.length, 0),
          ...(s.writesPerSecond === undefined ? {} : { writesPerSecond: s.writesPerSecond }),
          ...(s.bytesPerMemory === undefined ? {} : { bytesPerMemory: s.bytesPerMemory }),
        };
      });
      for (const r of rows)
        this.log(
          `${size} in-process ${r.system} ${r.mode}: p50 ${r.p50.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms, ${r.searches} searches`,
        );
      const capped = rows.filter((r) => r.searches < queries.length * runs);
      if (capped.length)
        this.notes.push(
          `At ${size.toLocaleString('en')} facts the ${this.budgetMs / 1000} s search budget per system (BENCH_PEERS_SYSTEM_BUDGET_S) capped ${capped.map((r) => `${r.system} ${r.mode} at ${r.searches}`).join(', ')} searches.`,
        );
      return rows;
    } finally {
      await engine.close();
    }
  }

  async close(): Promise<void> {
    this.orama = undefined;
    this.vectra = undefined;
  }
}
