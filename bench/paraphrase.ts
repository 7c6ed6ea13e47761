/**
 * The paraphrase dev set (bench/paraphrase/facts.json): 80 standalone personal facts, each with a hard question
 * that shares at most one content word with it and a light rewording that shares several. Every retriever gets
 * the facts and the questions through the same JSONL protocol as the LoCoMo harness, so our server (through its
 * REST API) and the harness's BM25 are measured alike.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PACKAGE_ROOT } from '../src/version.js';

export interface Fact {
  id: string;
  fact: string;
  hard: string;
  light: string;
}

export const loadFacts = (): Fact[] =>
  JSON.parse(readFileSync(join(PACKAGE_ROOT, 'bench', 'paraphrase', 'facts.json'), 'utf8')) as Fact[];

export interface ParaphraseScore {
  /** Share of questions whose fact comes first. */
  hit1: number;
  hit5: number;
  mrr: number;
  n: number;
}

export interface ParaphraseResult {
  hard: ParaphraseScore;
  light: ParaphraseScore;
}

/** One JSONL protocol server process: send a request, read its one-line reply. */
class JsonlServer {
  private readonly replies: ((line: string) => void)[] = [];
  private readonly child;

  constructor(cmd: string, env: NodeJS.ProcessEnv) {
    this.child = spawn(cmd, { shell: true, env, stdio: ['pipe', 'pipe', 'inherit'] });
    createInterface({ input: this.child.stdout }).on('line', (line) => this.replies.shift()?.(line));
  }

  request(req: unknown): Promise<Record<string, unknown>> {
    return new Promise((resolve, reject) => {
      this.replies.push((line) => {
        const reply = JSON.parse(line) as Record<string, unknown>;
        if (reply.ok === false) reject(new Error(String(reply.error)));
        else resolve(reply);
      });
      this.child.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }

  async close(): Promise<void> {
    await this.request({ op: 'close' }).catch(() => {});
    this.child.stdin.end();
  }
}

/** How the facts are stored: all in one request (the user's case), one per request, or in a shuffled order. */
export type Ingestion = 'one-batch' | 'one-by-one' | 'shuffled';

function order(facts: Fact[], ingestion: Ingestion): Fact[] {
  if (ingestion !== 'shuffled') return facts;
  // A fixed permutation: stride through the list by a step coprime with its length.
  return facts.map((_, i) => facts[(i * 37) % facts.length]!);
}

const idOf = (r: unknown) => (typeof r === 'string' ? r : String((r as { id: string }).id));

/** Stores the facts in `cmd`'s server, asks every question, scores where each fact lands. */
export async function runParaphrase(
  cmd: string,
  env: NodeJS.ProcessEnv = process.env,
  ingestion: Ingestion = 'one-batch',
): Promise<ParaphraseResult> {
  const facts = loadFacts();
  const server = new JsonlServer(cmd, env);
  try {
    const namespace = 'paraphrase';
    await server.request({ op: 'reset', namespace });
    const items = order(facts, ingestion).map((f) => ({ id: f.id, text: f.fact, metadata: {} }));
    const batches = ingestion === 'one-by-one' ? items.map((it) => [it]) : [items];
    for (const batch of batches) await server.request({ op: 'add', namespace, items: batch });
    const score = async (pick: (f: Fact) => string): Promise<ParaphraseScore> => {
      let hit1 = 0;
      let hit5 = 0;
      let mrr = 0;
      for (const f of facts) {
        const reply = await server.request({ op: 'search', namespace, query: pick(f), k: 10 });
        const rank = (reply.results as unknown[]).map(idOf).indexOf(f.id);
        if (rank === 0) hit1++;
        if (rank >= 0 && rank < 5) hit5++;
        if (rank >= 0) mrr += 1 / (rank + 1);
      }
      const n = facts.length;
      return { hit1: hit1 / n, hit5: hit5 / n, mrr: mrr / n, n };
    };
    return { hard: await score((f) => f.hard), light: await score((f) => f.light) };
  } finally {
    await server.close();
  }
}

const pct = (x: number) => `${(100 * x).toFixed(1)} %`;

export function formatParaphrase(rows: { label: string; result: ParaphraseResult }[]): string {
  const lines = [
    '| retriever | hard: first | hard: top 5 | hard MRR | light: first | light: top 5 | light MRR |',
    '|---|---:|---:|---:|---:|---:|---:|',
  ];
  for (const { label, result: r } of rows) {
    lines.push(
      `| ${label} | ${pct(r.hard.hit1)} | ${pct(r.hard.hit5)} | ${r.hard.mrr.toFixed(3)} | ${pct(r.light.hit1)} | ${pct(r.light.hit5)} | ${r.light.mrr.toFixed(3)} |`,
    );
  }
  return lines.join('\n');
}
