/**
 * `npm run bench -- cold-start`: how long `agent-memory mcp` takes from spawn to its first `tools/list` reply, with
 * the default configuration on a fresh SQLite file, BENCH_COLD_STARTS times (10); beside the same process spawn of
 * bare node that only answers the two requests (the floor this machine sets), alternated, medians. `npm run bench`
 * builds as `npm run build` does, so this is the start the package ships: cli.js straight to the bundled
 * dist/src/mcp/stdio-main.js (scripts/bundle-mcp.mjs); after a bare `tsc` it measures the unbundled modules.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopTime, untilToolsList } from './spawn-mcp.js';
import { median } from './stats.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');
// Answers initialize (id 1) and tools/list (id 2) as they come, then exits.
const FLOOR = [
  "process.stdin.on('data', (d) => {",
  '  for (const id of [1, 2]) {',
  '    if (!String(d).includes(\'"id":\' + id)) continue;',
  "    process.stdout.write('{\"id\":' + id + '}\\n', () => id === 2 && process.exit(0));",
  '  }',
  '});',
].join('\n');

async function firstReply(args: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const { child, ms } = await untilToolsList(args, env);
  await stopTime(child);
  return ms;
}

export async function measureColdStart(runs: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-cold-'));
  try {
    const mcp: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < runs; i++) {
      const env = { ...process.env, SQLITE_PATH: join(dir, `m${i}.db`), LOG_LEVEL: 'silent' };
      mcp.push(await firstReply([CLI, 'mcp'], env));
      floor.push(await firstReply(['-e', FLOOR], env));
    }
    const m = median(mcp);
    const f = median(floor);
    return [
      `| ${runs} cold starts, fresh SQLite file, default configuration | p50 | min – max |`,
      '|---|---|---|',
      `| \`agent-memory mcp\`: spawn to first tools/list reply | ${(m / 1000).toFixed(2)} s | ${(Math.min(...mcp) / 1000).toFixed(2)} – ${(Math.max(...mcp) / 1000).toFixed(2)} s |`,
      `| bare node answering the two requests (the floor) | ${(f / 1000).toFixed(2)} s | ${(Math.min(...floor) / 1000).toFixed(2)} – ${(Math.max(...floor) / 1000).toFixed(2)} s |`,
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
