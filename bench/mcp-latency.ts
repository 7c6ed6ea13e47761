import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { PACKAGE_ROOT } from '../src/version.js';
import { fmt, percentile } from './stats.js';
import { makeCorpus, makeQueries } from './synthetic.js';

export interface LatencyRow {
  size: number;
  op: 'search' | 'create';
  p50: number;
  p95: number;
  perSecond: number;
}

/** An SDK client over stdio to `node ...args`, with this process's environment (no LLM keys) and `env` on top. */
export async function spawnClient(args: string[], env: Record<string, string>): Promise<Client> {
  const base: Record<string, string> = {};
  for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !/^(OPENAI|ANTHROPIC)_/.test(k)) base[k] = v;
  const transport = new StdioClientTransport({
    command: process.execPath,
    args,
    env: { ...base, ...env },
    stderr: 'inherit',
  });
  const client = new Client({ name: 'bench', version: '0' });
  await client.connect(transport);
  return client;
}

/** `agent-memory mcp` on a SQLite file at `dbPath`; `env` adds settings (EMBEDDING_MODEL…). */
export function connect(dbPath: string, env: Record<string, string> = {}): Promise<Client> {
  return spawnClient([join(PACKAGE_ROOT, 'dist/src/cli.js'), 'mcp'], {
    MEMORY_BACKEND: 'sqlite',
    SQLITE_PATH: dbPath,
    LOG_LEVEL: 'warn',
    // Repeated bench queries would be answered by the query cache: measure the search itself.
    QUERY_CACHE_TTL_SECONDS: '0',
    ...env,
  });
}

export async function timed(fn: () => Promise<unknown>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

/** MCP stdio round trips against a server holding `size` memories (offline embedder, SQLite file). */
export async function measureAtSize(size: number, samples = 300): Promise<LatencyRow[]> {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-'));
  const client = await connect(join(dir, 'bench.db'));
  try {
    const corpus = makeCorpus(size);
    for (let i = 0; i < corpus.length; i += 500) {
      await client.callTool({ name: 'create_long_term_memories', arguments: { memories: corpus.slice(i, i + 500) } });
      process.stderr.write(`\rbench: loading ${Math.min(size, i + 500)}/${size} memories`);
    }
    process.stderr.write('\n');
    const queries = makeQueries(samples);
    for (const q of queries.slice(0, 20)) await client.callTool({ name: 'search_memory', arguments: { query: q } });
    const search: number[] = [];
    for (const q of queries)
      search.push(await timed(() => client.callTool({ name: 'search_memory', arguments: { query: q } })));
    const fresh = makeCorpus(samples, size + 1);
    const create: number[] = [];
    for (const m of fresh) {
      create.push(
        await timed(() => client.callTool({ name: 'create_long_term_memories', arguments: { memories: [m] } })),
      );
    }
    const row = (op: LatencyRow['op'], xs: number[]): LatencyRow => ({
      size,
      op,
      p50: percentile(xs, 50),
      p95: percentile(xs, 95),
      perSecond: 1000 / (xs.reduce((a, b) => a + b, 0) / xs.length),
    });
    return [row('search', search), row('create', create)];
  } finally {
    await client.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export function formatLatency(rows: LatencyRow[]): string {
  const lines = ['| memories | operation | p50 ms | p95 ms | ops/s (sequential) |', '|---:|---|---:|---:|---:|'];
  for (const r of rows)
    lines.push(`| ${r.size} | ${r.op} | ${fmt(r.p50)} | ${fmt(r.p95)} | ${Math.round(r.perSecond)} |`);
  return lines.join('\n');
}
