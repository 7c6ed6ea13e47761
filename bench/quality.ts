import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PACKAGE_ROOT } from '../src/version.js';
import { SHARED } from './locomo-turns.js';

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

const r10 = (r: Report) => f3(r.overall_all['recall@10']);
const r1 = (r: Report) => f3(r.overall_all['recall@1']);

/**
 * `npm run bench -- quality`: LoCoMo dev through our REST API in several ingestion shapes, each beside the harness's
 * BM25 from the same run; then the paraphrase dev set. BENCH_QUALITY_DETAIL=1 also prints per-category tables.
 */
export async function runQuality(): Promise<void> {
  const { formatParaphrase, runParaphrase } = await import('./paraphrase.js');
  const adapter = `${JSON.stringify(process.execPath)} ${JSON.stringify(join(PACKAGE_ROOT, 'dist/src/eval/locomo-adapter.js'))}`;
  const data = join(SHARED, 'data', 'locomo-dev.json');
  const env = (extra: Record<string, string>) => ({ ...process.env, AM_EVAL_DATA: data, ...extra });
  const bm25 = runHarness('', ['--baseline', 'bm25', '--stopwords']);
  const variants: [string, Record<string, string>][] = [
    ['as shipped: turns in order, with session_id', {}],
    ['turns without session_id', { AM_EVAL_SESSIONS: 'off' }],
    ["a conversation's turns shuffled", { AM_EVAL_ORDER: 'shuffled' }],
    ['shuffled, without session_id', { AM_EVAL_ORDER: 'shuffled', AM_EVAL_SESSIONS: 'off' }],
    ['in order, one turn per request', { AM_EVAL_BATCH: '1' }],
    ['facts: observations (credit their dia_ids)', { AM_EVAL_INGEST: 'observations' }],
    [
      'observations, keyword only (BM25 in our store)',
      { AM_EVAL_INGEST: 'observations', LOCOMO_SEARCH_MODE: 'keyword' },
    ],
    ['as shipped, word vectors only (offline-wordvec-v1)', { EMBEDDING_MODEL: 'offline-wordvec-v1' }],
    ['word vectors only, without session_id', { EMBEDDING_MODEL: 'offline-wordvec-v1', AM_EVAL_SESSIONS: 'off' }],
    ['as shipped, hashed embedder (offline-hash-v1)', { EMBEDDING_MODEL: 'offline-hash-v1' }],
    ['as shipped, semantic only', { LOCOMO_SEARCH_MODE: 'semantic' }],
  ];
  const lines = [
    '## LoCoMo dev retrieval through the REST API (offline, no key)',
    '',
    '| ingestion | R@10 | R@1 | BM25 peer R@10 | ratio |',
    '|---|---:|---:|---:|---:|',
  ];
  const detail = process.env.BENCH_QUALITY_DETAIL === '1';
  for (const [label, extra] of variants) {
    const r = runHarness(adapter, [], env(extra));
    const ratio = r.overall_all['recall@10'] / bm25.overall_all['recall@10'];
    lines.push(`| ${label} | ${r10(r)} | ${r1(r)} | ${r10(bm25)} | ${ratio.toFixed(3)} |`);
    if (detail) process.stdout.write(`\n${formatQuality(`LoCoMo dev: ${label}`, r)}\n`);
  }
  process.stdout.write(`\n${lines.join('\n')}\n`);
  if (detail) process.stdout.write(`\n${formatQuality('LoCoMo dev: harness BM25 + stopwords (peer)', bm25)}\n`);

  const harness = join(SHARED, 'eval', 'locomo_retrieval_eval.py');
  const peer = `python3 ${JSON.stringify(harness)} --serve bm25 --stopwords`;
  const facts = { AM_EVAL_MEMORY_TYPE: 'semantic' };
  const rows = [
    { label: 'agent-memory, as shipped', result: await runParaphrase(adapter, env(facts)) },
    { label: 'as shipped, one fact per request', result: await runParaphrase(adapter, env(facts), 'one-by-one') },
    { label: 'as shipped, shuffled order', result: await runParaphrase(adapter, env(facts), 'shuffled') },
    {
      label: 'as shipped, with a session_id',
      result: await runParaphrase(adapter, env({ ...facts, AM_EVAL_FACT_SESSION: 'facts' })),
    },
    { label: 'semantic only', result: await runParaphrase(adapter, env({ ...facts, LOCOMO_SEARCH_MODE: 'semantic' })) },
    { label: 'keyword only', result: await runParaphrase(adapter, env({ ...facts, LOCOMO_SEARCH_MODE: 'keyword' })) },
    { label: 'without related words', result: await runParaphrase(adapter, env({ ...facts, RELATED_WORDS: 'false' })) },
    {
      label: 'word vectors only (offline-wordvec-v1)',
      result: await runParaphrase(adapter, env({ ...facts, EMBEDDING_MODEL: 'offline-wordvec-v1' })),
    },
    {
      label: 'sentence encoder only (offline-use-lite-v1)',
      result: await runParaphrase(adapter, env({ ...facts, EMBEDDING_MODEL: 'offline-use-lite-v1' })),
    },
    {
      label: 'hashed embedder (offline-hash-v1)',
      result: await runParaphrase(
        adapter,
        env({ ...facts, EMBEDDING_MODEL: 'offline-hash-v1', RELATED_WORDS: 'false' }),
      ),
    },
    { label: 'harness BM25 + stopwords (peer)', result: await runParaphrase(peer) },
  ];
  process.stdout.write(
    `\n## Paraphrase dev set (${rows[0]!.result.hard.n} facts stored in one request; hard and light questions)\n\n${formatParaphrase(rows)}\n`,
  );
}
