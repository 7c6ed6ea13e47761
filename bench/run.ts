/**
 * `npm run bench [-- what...]`: what = mcp (MCP stdio latency at 1k and 10k memories; default), quality, and/or
 * http (REST requests/s and p50/p95 over loopback with autocannon, ~5 s per endpoint), and/or search (in-process
 * engine search latency per mode and filter case at 10k memories), and/or redis (engine search latency on the Redis
 * store at 100k memories; needs REDIS_URL or REDIS_SEARCH_MODULE, skips otherwise), and/or stores (SQLite,
 * PostgreSQL and Redis side by side at 100k memories, one run; PGlite when no DATABASE_URL), and/or erase (what erasing a
 * user costs on SQLite: secure_delete on every write, and one erase), and/or compaction (search while a compaction
 * runs, and SIGTERM with one due, at 100k memories), and/or background (search while every scheduled job runs, and
 * SIGTERM during one, at BENCH_BACKGROUND_SIZE memories; see bench/background.ts), and/or cold-start (spawn of `agent-memory mcp` to its first
 * tools/list reply, p50 of 10), and/or peers (side by side with @modelcontextprotocol/server-memory over MCP stdio, and
 * with @orama/orama, vectra and the brute-force bound in-process, at BENCH_PEERS_SIZES; JSON, SVG charts and a
 * Markdown table into bench/results/ and docs/bench/; see bench/peers.ts), and/or storage (bytes on disk per memory and
 * per session message, SQLITE_COMPRESS on and off; see bench/storage.ts), and/or ingest (memories created per second
 * per embedder, batch size, session ids, LoCoMo turns in and out of order, compression off, and the embedder alone;
 * see bench/ingest.ts), and/or scale (one SQLite file grown to BENCH_SCALE_SIZES memories: search latency and the
 * vector lists' recall@10 against an exact scan at each size; see bench/scale.ts).
 * Figures are medians (p50) and p95 over repeated calls, printed as Markdown tables on stdout.
 */
import { formatLatency, measureAtSize } from './mcp-latency.js';

async function main() {
  const what = process.argv.slice(2);
  const all = what.length === 0;
  if (all || what.includes('mcp')) {
    const sizes = (process.env.BENCH_SIZES ?? '1000,10000').split(',').map(Number);
    const rows = [];
    for (const size of sizes) rows.push(...(await measureAtSize(size)));
    process.stdout.write(`\n## MCP stdio latency (offline embedder, SQLite file)\n\n${formatLatency(rows)}\n`);
  }
  if (what.includes('http')) {
    const { formatHttp, measureHttp } = await import('./http.js');
    const size = Number(process.env.BENCH_HTTP_SIZE ?? 1000);
    const seconds = Number(process.env.BENCH_HTTP_SECONDS ?? 5);
    const workers = (process.env.BENCH_HTTP_WORKERS ?? '1,2').split(',').map(Number);
    const rounds = Number(process.env.BENCH_HTTP_ROUNDS ?? 3);
    const rows = await measureHttp(size, seconds, 10, workers, rounds);
    process.stdout.write(
      `\n## HTTP REST (autocannon, 10 connections, ${seconds} s each, medians of ${rounds} rounds, loopback, SQLite file)\n\n${formatHttp(rows)}\n`,
    );
  }
  if (what.includes('search')) {
    const { formatSearch, measureSearch } = await import('./search.js');
    const size = Number(process.env.BENCH_SEARCH_SIZE ?? 10000);
    // The default embedder, then the lighter ones as peers of the same run.
    for (const model of (
      process.env.BENCH_SEARCH_MODELS ?? 'offline-use-wordvec-v1,offline-wordvec-v1,offline-hash-v1'
    ).split(',')) {
      const rows = await measureSearch(size, model);
      process.stdout.write(
        `\n## Engine search latency, ${size} memories (in-process, ${model}, ${process.env.BENCH_SEARCH_BACKEND === 'memory' ? 'in-memory SQLite' : `SQLite file${process.env.SQLITE_SEARCH_THREAD === 'false' ? ', no search thread' : ''}`})\n\n${formatSearch(rows)}\n`,
      );
    }
  }
  if (what.includes('redis')) {
    const { formatRedis, measureRedis } = await import('./redis.js');
    const size = Number(process.env.BENCH_REDIS_SIZE ?? 100_000);
    const rows = await measureRedis(size);
    process.stdout.write(
      typeof rows === 'string'
        ? `\n## Redis search latency: skipped (${rows})\n`
        : `\n## Engine search latency on Redis, ${size} memories (in-process, offline embedder, loopback Redis)\n\n${formatRedis(rows)}\n`,
    );
  }
  if (what.includes('stores')) {
    const { formatStores, measureStores } = await import('./stores.js');
    const size = Number(process.env.BENCH_STORES_SIZE ?? 100_000);
    const { rows, skipped, model } = await measureStores(size);
    const notes = skipped.map((s) => `\nSkipped: ${s}\n`).join('');
    process.stdout.write(
      `\n## Engine search latency per store, ${size} memories (in-process, ${model}, loopback servers)\n\n${formatStores(rows)}\n${notes}`,
    );
  }
  if (what.includes('cold-start')) {
    const { measureColdStart } = await import('./cold-start.js');
    const runs = Number(process.env.BENCH_COLD_STARTS ?? 10);
    process.stdout.write(`\n## MCP stdio cold start\n\n${await measureColdStart(runs)}\n`);
  }
  if (what.includes('compaction')) {
    const { measureCompaction } = await import('./compaction.js');
    const size = Number(process.env.BENCH_COMPACTION_SIZE ?? 100_000);
    process.stdout.write(`\n## A due compaction on a busy server\n\n${await measureCompaction(size)}\n`);
  }
  if (what.includes('background')) {
    const { measureBackground } = await import('./background.js');
    const size = Number(process.env.BENCH_BACKGROUND_SIZE ?? 100_000);
    process.stdout.write(`\n## Every background job due at scale\n\n${await measureBackground(size)}\n`);
  }
  if (what.includes('storage')) {
    const { measureStorage } = await import('./storage.js');
    const size = Number(process.env.BENCH_STORAGE_SIZE ?? 2000);
    process.stdout.write(
      `\n## Bytes on disk per memory and per message (SQLite file, default embedder)\n\n${await measureStorage(size)}\n`,
    );
  }
  if (what.includes('ingest')) {
    const { formatIngest, measureIngest } = await import('./ingest.js');
    process.stdout.write(
      `\n## Ingest: memories created per second (engine, fresh SQLite file, worker off)\n\n${formatIngest(await measureIngest())}\n`,
    );
  }
  if (what.includes('scale')) {
    const { formatScale, measureScale } = await import('./scale.js');
    const sizes = (process.env.BENCH_SCALE_SIZES ?? '10000,100000').split(',').map(Number);
    const model = process.env.BENCH_SCALE_MODEL ?? 'offline-hash-v1';
    const rows = await measureScale(sizes, model, Number(process.env.BENCH_SCALE_QUERIES ?? 200));
    process.stdout.write(
      `\n## Search as the store grows (engine, one SQLite file, ${model})\n\n${formatScale(rows)}\n`,
    );
  }
  if (what.includes('erase')) {
    const { measureErase } = await import('./erase.js');
    process.stdout.write(`\n## Erasing a user on SQLite (secure_delete cost, erase time)\n\n${await measureErase()}\n`);
  }
  if (what.includes('dashboard')) {
    const { formatDashboard, measureDashboard } = await import('./dashboard.js');
    const size = Number(process.env.BENCH_DASHBOARD_SIZE ?? 100_000);
    const rows = await measureDashboard(size);
    process.stdout.write(
      `\n## Dashboard pages, ${size} memories (server time, SQLite file)\n\n${formatDashboard(rows)}\n`,
    );
  }
  if (what.includes('peers')) {
    const { peersOptionsFromEnv, runPeers, writePeers } = await import('./peers.js');
    const opts = peersOptionsFromEnv();
    const table = writePeers(await runPeers(opts), opts.outDir, opts.docsDir || undefined);
    process.stdout.write(`\n## Side by side with the peers\n\n${table}`);
  }
  if (what.includes('agent-state')) {
    const { formatAgentState, measureAgentState } = await import('./agent-state.js');
    const sizes = (process.env.BENCH_AGENT_SIZES ?? '30000,300000').split(',').map(Number);
    const rows = await measureAgentState(sizes);
    process.stdout.write(`\n## Agent-state queries (embedded SQLite file, store port)\n\n${formatAgentState(rows)}\n`);
  }
  if (what.includes('quality')) {
    const { runQuality } = await import('./quality.js');
    await runQuality();
  }
}

main().catch((err) => {
  process.stderr.write(`bench: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
