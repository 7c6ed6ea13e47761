/**
 * `npm run bench -- cold-start`: how long `agent-memory mcp` takes from spawn to its first `tools/list` reply, with
 * the default configuration on a fresh SQLite file, BENCH_COLD_STARTS times (10); beside the same process spawn of
 * bare node that only answers the requests (the floor this machine sets), alternated, medians. `npm run bench`
 * builds as `npm run build` does, so this is the start the package ships: cli.js straight to the bundled
 * dist/src/mcp/stdio-main.js (scripts/bundle-mcp.mjs), which answers initialize and tools/list before it loads the
 * server; after a bare `tsc` it measures the unbundled modules. Hence the second row: from spawn to the reply to a
 * tools/call (get_current_datetime, no model needed) sent once the tool list is in, the server's own first answer.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { stopTime, untilToolsList } from './spawn-mcp.js';
import { median } from './stats.js';

const CLI = join(dirname(fileURLToPath(import.meta.url)), '..', 'src', 'cli.js');
// Answers initialize (id 1), tools/list (id 2) and the tool call (id 3) as they come, then exits.
const FLOOR = [
  "process.stdin.on('data', (d) => {",
  '  for (const id of [1, 2, 3]) {',
  '    if (!String(d).includes(\'"id":\' + id)) continue;',
  "    process.stdout.write('{\"id\":' + id + '}\\n', () => id === 3 && process.exit(0));",
  '  }',
  '});',
].join('\n');

/** The times from spawn to the tools/list reply and to the reply of a tools/call sent after it. */
async function firstReplies(args: string[], env: NodeJS.ProcessEnv): Promise<{ list: number; call: number }> {
  const started = performance.now();
  const { child, ms } = await untilToolsList(args, env);
  const called = new Promise<number>((resolve) => {
    let out = '';
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString();
      if (/"id":3[,}]/.test(out)) resolve(performance.now() - started);
    });
  });
  const call = { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'get_current_datetime', arguments: {} } };
  child.stdin.write(`${JSON.stringify(call)}\n`);
  const callMs = await called;
  await stopTime(child);
  return { list: ms, call: callMs };
}

export async function measureColdStart(runs: number): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-cold-'));
  try {
    const list: number[] = [];
    const call: number[] = [];
    const floor: number[] = [];
    for (let i = 0; i < runs; i++) {
      const env = { ...process.env, SQLITE_PATH: join(dir, `m${i}.db`), LOG_LEVEL: 'silent' };
      const mcp = await firstReplies([CLI, 'mcp'], env);
      list.push(mcp.list);
      call.push(mcp.call);
      floor.push((await firstReplies(['-e', FLOOR], env)).list);
    }
    const row = (what: string, ms: number[]) =>
      `| ${what} | ${(median(ms) / 1000).toFixed(2)} s | ${(Math.min(...ms) / 1000).toFixed(2)} – ${(Math.max(...ms) / 1000).toFixed(2)} s |`;
    return [
      `| ${runs} cold starts, fresh SQLite file, default configuration | p50 | min – max |`,
      '|---|---|---|',
      row('`agent-memory mcp`: spawn to first tools/list reply', list),
      row('`agent-memory mcp`: spawn to the reply to a tools/call sent after it', call),
      row('bare node answering the requests (the floor)', floor),
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
