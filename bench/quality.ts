import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { PACKAGE_ROOT } from '../src/version.js';

interface Metrics {
  n: number;
  'recall@1': number;
  'recall@5': number;
  'recall@10': number;
  'ndcg@10': number;
  name?: string;
}
interface Report {
  categories: Record<string, Metrics>;
  overall_all: Metrics;
  overall_cat1to4: Metrics;
  timing: { search_ms_mean: number | null };
}

const SHARED = process.env.AGENT_MEMORY_SHARED ?? resolve(PACKAGE_ROOT, '..', 'shared');

/** Runs the LoCoMo retrieval harness against `cmd` (a JSONL protocol server) and returns its report. */
export function runHarness(cmd: string, extraArgs: string[] = [], env: NodeJS.ProcessEnv = process.env): Report {
  const script = join(SHARED, 'eval', 'locomo_retrieval_eval.py');
  const data = join(SHARED, 'data', 'locomo-dev.json');
  if (!existsSync(script) || !existsSync(data)) {
    throw new Error(`LoCoMo harness or data not found under ${SHARED} (set AGENT_MEMORY_SHARED)`);
  }
  const dir = mkdtempSync(join(tmpdir(), 'am-quality-'));
  try {
    const out = join(dir, 'report.json');
    execFileSync('python3', [script, '--data', data, '--json-out', out, ...extraArgs, ...(cmd ? ['--cmd', cmd] : [])], {
      stdio: ['ignore', 'ignore', 'inherit'],
      env,
    });
    return JSON.parse(readFileSync(out, 'utf8')) as Report;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const f3 = (x: number) => x.toFixed(3);

export function formatQuality(title: string, r: Report): string {
  const lines = [`## ${title}`, '', '| category | n | R@1 | R@5 | R@10 | NDCG@10 |', '|---|---:|---:|---:|---:|---:|'];
  const row = (label: string, m: Metrics) =>
    `| ${label} | ${m.n} | ${f3(m['recall@1'])} | ${f3(m['recall@5'])} | ${f3(m['recall@10'])} | ${f3(m['ndcg@10'])} |`;
  for (const [cat, m] of Object.entries(r.categories)) lines.push(row(`${cat} ${m.name ?? ''}`.trim(), m));
  lines.push(row('**all**', r.overall_all));
  if (r.timing.search_ms_mean !== null) lines.push('', `mean search round trip: ${r.timing.search_ms_mean} ms`);
  return lines.join('\n');
}

/** `npm run bench -- quality`: our engine and the harness's BM25 baseline, side by side on the dev split. */
export async function runQuality(): Promise<void> {
  const adapter = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(PACKAGE_ROOT, 'dist/src/eval/locomo-adapter.js'))}`;
  const ours = runHarness(adapter);
  const bm25 = runHarness('', ['--baseline', 'bm25', '--stopwords']);
  process.stdout.write(`\n${formatQuality('LoCoMo dev retrieval: agent-memory (offline, hybrid)', ours)}\n`);
  process.stdout.write(`\n${formatQuality('LoCoMo dev retrieval: harness BM25 + stopwords (peer)', bm25)}\n`);
  const ratio = ours.overall_all['recall@10'] / bm25.overall_all['recall@10'];
  process.stdout.write(`\nRecall@10 ratio agent-memory / BM25: ${ratio.toFixed(3)}\n`);
}
