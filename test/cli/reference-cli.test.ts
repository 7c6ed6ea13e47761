/**
 * The reference server's CLI commands and flags, against the built CLI as real child processes on real SQLite
 * files: `mcp --mode sse|streamable-http --port`, `task-worker`, `schedule-task`, `migrate-memories`, and
 * `rebuild-index` on SQLite.
 */
import type { ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openStore } from '../../src/store/open-store.js';
import { CLI, cleanup, connectMcp, type Env, makeTempStore, runCli, spawnTracked } from '../helpers/spawn.js';
import { callTool, connectMcp as connectHttp, toolText } from '../http/mcp-client.js';

afterAll(cleanup);

/** A port nothing listens on right now (the OS picks it). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });
}

/** Starts a long-running CLI command; `ready` resolves with what the pattern matched on stdout or stderr. */
function start(args: string[], env: Env, ready: RegExp) {
  const child: ChildProcess = spawnTracked(process.execPath, [CLI, ...args], env);
  let out = '';
  let err = '';
  const matched = new Promise<RegExpExecArray>((resolve, reject) => {
    const check = () => {
      const m = ready.exec(out) ?? ready.exec(err);
      if (m) resolve(m);
    };
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      check();
    });
    child.stderr?.on('data', (d: Buffer) => {
      err += d.toString('utf8');
      check();
    });
    child.once('exit', (code) => reject(new Error(`${args.join(' ')} exited with ${code}:\n${out}\n${err}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, matched, exited, stderr: () => err };
}

describe('agent-memory mcp --mode', () => {
  for (const mode of ['sse', 'streamable-http'] as const) {
    it(`--mode ${mode} serves MCP over HTTP on the port given`, async () => {
      const store = makeTempStore();
      const port = await freePort();
      // --port wins over MCP_PORT; the port of `api` (PORT) plays no part.
      const env = store.env({ MCP_PORT: '1', PORT: '1' });
      const server = start(['mcp', '--mode', mode, '--port', String(port)], env, /listening on (http:\/\/\S+)/);
      const url = (await server.matched)[1]!;
      expect(url).toBe(`http://127.0.0.1:${port}`);
      const kind = mode === 'sse' ? 'sse' : 'http';
      const client = await connectHttp(`${url}/${mode === 'sse' ? 'sse' : 'mcp'}`, kind);
      try {
        const made = await callTool(client, 'create_long_term_memories', {
          memories: [{ id: `m-${mode}`, text: `Dana flies to Oslo in ${mode} week`, namespace: 'cli' }],
        });
        expect(made.isError, toolText(made)).toBeFalsy();
        const found = await callTool(client, 'search_long_term_memory', {
          text: 'Where does Dana fly?',
          namespace: { eq: 'cli' },
        });
        expect(found.isError, toolText(found)).toBeFalsy();
        expect((found.structuredContent as { memories: { id: string }[] }).memories[0]?.id).toBe(`m-${mode}`);
      } finally {
        await client.close();
      }
      server.child.kill('SIGTERM');
      expect(await server.exited).toBe(0);
    });
  }

  it('without --port listens on MCP_PORT', async () => {
    const store = makeTempStore();
    const port = await freePort();
    const server = start(
      ['mcp', '--mode', 'streamable-http', '--task-backend', 'docket'],
      store.env({ MCP_PORT: String(port), LOG_LEVEL: 'info' }),
      /listening on (http:\/\/\S+)/,
    );
    expect((await server.matched)[1]).toBe(`http://127.0.0.1:${port}`);
    // docket: tasks are left to worker processes, as `api --no-worker`.
    await expect.poll(server.stderr, { timeout: 20_000 }).toMatch(/task worker off/);
    server.child.kill('SIGTERM');
    expect(await server.exited).toBe(0);
  });

  it('--mode stdio is the stdio server', async () => {
    const store = makeTempStore();
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [CLI, 'mcp', '--mode', 'stdio', '--task-backend', 'asyncio'],
      env: store.env(),
      cwd: store.dir,
      stderr: 'pipe',
    });
    const client = new Client({ name: 'reference-cli-test', version: '0' });
    await client.connect(transport);
    try {
      const r = (await client.callTool({ name: 'get_current_datetime', arguments: {} })) as CallToolResult;
      expect(r.isError).toBeFalsy();
      expect((r.structuredContent as { unix_ts: number }).unix_ts).toBeGreaterThan(0);
    } finally {
      await client.close();
    }
  });

  it('refuses an unknown mode, a bad port and flags that do not apply, with exit code 2', async () => {
    const env = makeTempStore().env();
    const cases = [
      [['mcp', '--mode', 'websocket'], /--mode: expected one of stdio, sse, streamable-http, got "websocket"/],
      [['mcp', '--mode', 'sse', '--port', 'abc'], /--port: expected 0–65535/],
      [['mcp', '--mode', 'sse', '--port', '70000'], /--port: expected 0–65535/],
      [['mcp', '--mode', 'stdio', '--port', '9000'], /--port is for --mode sse or streamable-http/],
      [['mcp', '--task-backend', 'celery'], /--task-backend: expected one of asyncio, docket/],
      [['mcp', '--transport', 'sse'], /Unknown option '--transport'/],
    ] as const;
    for (const [args, message] of cases) {
      const r = await runCli([...args], env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
      expect(r.stdout).toBe('');
    }
  });
});

describe('task-worker and schedule-task', () => {
  it('task-worker runs what schedule-task queues, with the reference flags', async () => {
    const store = makeTempStore();
    const env = store.env();
    // Two equal memories: compaction removes the copy.
    const mcp = await connectMcp(env);
    await mcp.ok('create_long_term_memories', {
      memories: [
        { id: 'dup-1', text: 'Erin keeps bees', namespace: 'tw' },
        { id: 'dup-2', text: 'Erin keeps bees', namespace: 'tw' },
      ],
      deduplicate: false,
    });
    await mcp.close();
    const worker = start(
      ['task-worker', '--concurrency', '2', '--redelivery-timeout', '30'],
      env,
      /task-worker (\S+) running on sqlite \(2 at a time, lease 30 s\)/,
    );
    await worker.matched;
    const scheduled = await runCli(
      [
        'schedule-task',
        'agent_memory_server.long_term_memory.compact_long_term_memories',
        '-a',
        'namespace=tw',
        '--json',
      ],
      env,
    );
    expect(scheduled.code, scheduled.stderr).toBe(0);
    const task = JSON.parse(scheduled.stdout) as { id: string; type: string; payload: Record<string, unknown> };
    expect(task).toMatchObject({ type: 'compact_memories', payload: { namespace: 'tw', user_id: null } });
    const tasks = await openStore(loadConfig(env));
    try {
      await expect
        .poll(async () => (await tasks.tasks.get(task.id))?.status, { timeout: 30_000, interval: 200 })
        .toBe('success');
      expect((await tasks.tasks.get(task.id))?.result).toMatchObject({ duplicates_removed: 1 });
    } finally {
      await tasks.close();
    }
    worker.child.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });

  it('queues session tasks by the reference name, and refuses what it cannot honour', async () => {
    const env = makeTempStore().env();
    const ok = await runCli(
      ['schedule-task', 'promote_working_memory_to_long_term', '--args', 'session_id=s1', '--args', 'user_id=u1'],
      env,
    );
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.stdout).toMatch(
      /scheduled promote_working_memory_to_long_term as task \S+ \(promote_memories, pending\)/,
    );
    const cases = [
      [['schedule-task', 'compact_long_term_memories', '-a', 'limit=5'], /cannot take limit here/],
      [['schedule-task', 'compact_long_term_memories', '-a', 'session_id=s1'], /cannot take session_id here/],
      [['schedule-task', 'run_delayed_extraction'], /needs --args session_id=<session>/],
      [['schedule-task', 'run_delayed_extraction', '-a', 'session_id=5'], /session_id: expected a non-empty string/],
      [['schedule-task', 'summarize_session'], /not a queued task on this server: sessions are summarized/],
      [['schedule-task', 'periodic_forget_long_term_memories'], /FORGETTING_ENABLED is off/],
      [['schedule-task', 'my_module.cleanup'], /not one of the reference server's tasks/],
      [['schedule-task', 'no_such_task'], /unknown task "no_such_task". Queued tasks: compact_long_term_memories/],
      [['schedule-task', 'compact_long_term_memories', '-a', 'namespace'], /use key=value/],
      [['schedule-task'], /needs one task name/],
    ] as const;
    for (const [args, message] of cases) {
      const r = await runCli([...args], env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    const forget = await runCli(['schedule-task', 'periodic_forget_long_term_memories'], {
      ...env,
      FORGETTING_ENABLED: 'true',
      FORGETTING_MAX_AGE_DAYS: '365',
    });
    expect(forget.code, forget.stderr).toBe(0);
    expect(forget.stdout).toMatch(/\(forget_memories, pending\)/);
  });

  it('task-worker refuses bad flag values', async () => {
    const env = makeTempStore().env();
    const cases = [
      [['task-worker', '--concurrency', '0'], /--concurrency: expected a number of at least 1/],
      [['task-worker', '--concurrency', '2.5'], /--concurrency: expected a whole number/],
      [['task-worker', '--redelivery-timeout', '0'], /--redelivery-timeout: expected a number of at least 1/],
      [['task-worker', '--queue', 'x'], /Unknown option '--queue'/],
    ] as const;
    for (const [args, message] of cases) {
      const r = await runCli([...args], env);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(message);
    }
  });
});

describe('migrate-memories and rebuild-index', () => {
  it('migrate-memories says there is nothing to migrate, and why, and exits 0', async () => {
    const store = makeTempStore();
    const r = await runCli(['migrate-memories'], store.env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/Nothing to migrate in .*memory\.db \(SQLite schema version \d+, the latest/);
    expect(r.stdout).toMatch(/memory_hash, discrete_memory_extracted and memory_type/);
    expect((await runCli(['migrate-memories', '--dry-run'], store.env())).code).toBe(2);
  });

  it('rebuild-index on SQLite rebuilds the keyword and vector indexes from the stored memories', async () => {
    const store = makeTempStore();
    // Without the recency re-rank, scores do not drift between two searches a few seconds apart.
    const env = store.env({ RECENCY_BOOST: 'false' });
    const mcp = await connectMcp(env);
    await mcp.ok('create_long_term_memories', {
      memories: [
        { id: 'f-1', text: 'Frank collects antique maps', topics: ['hobby'], namespace: 'ri' },
        { id: 'f-2', text: 'The library closes at nine', namespace: 'ri' },
        ...['What did you paint?', 'A sunrise over the harbour.', 'Lovely colours.'].map((text, i) => ({
          id: `t-${i}`,
          text,
          memory_type: 'message',
          session_id: 'paint',
          namespace: 'ri',
        })),
      ],
    });
    await mcp.close();
    const search = async (text: string, mode: string) => {
      const r = await runCli(['search', text, '--namespace', 'ri', '--mode', mode, '--json'], env);
      expect(r.code, r.stderr).toBe(0);
      return (JSON.parse(r.stdout) as { memories: { id: string; score: number }[] }).memories;
    };
    // "painting" reaches the answer turn through its neighbour's words only.
    const before = await search('painting', 'keyword');
    expect(before.map((m) => m.id)).toContain('t-1');
    const vectorTables = () => {
      const db = new Database(store.dbPath, { readonly: true });
      try {
        return (
          db
            .prepare(
              "SELECT name FROM sqlite_master WHERE type = 'table' AND name LIKE 'memory_vectors_g%' ORDER BY name",
            )
            .all() as {
            name: string;
          }[]
        ).map((t) => t.name);
      } finally {
        db.close();
      }
    };
    const tablesBefore = vectorTables();
    // Lose the keyword index: keyword search finds nothing.
    const db = new Database(store.dbPath);
    db.exec(
      "INSERT INTO memories_fts (memories_fts) VALUES ('delete-all'); DELETE FROM memory_terms; DELETE FROM memory_tags;",
    );
    db.close();
    expect(await search('painting', 'keyword')).toEqual([]);

    const rebuilt = await runCli(['rebuild-index'], env);
    expect(rebuilt.code, rebuilt.stderr).toBe(0);
    expect(rebuilt.stderr).toMatch(/rebuild-index: vectors: 100%/);
    expect(rebuilt.stderr).toMatch(/rebuild-index: keywords: 100%/);
    expect(rebuilt.stderr).toMatch(/keyword index \(FTS5\) and tags: 5 memories/);
    expect(rebuilt.stdout).toBe('');
    // The same terms and neighbour context as the writes left: the same hits with the same scores.
    expect(await search('painting', 'keyword')).toEqual(before);
    // Tags are back (topic filters), and the vectors are a new generation that semantic search uses.
    const byTopic = await runCli(['search', '', '--namespace', 'ri', '--topics', 'hobby', '--json'], env);
    expect((JSON.parse(byTopic.stdout) as { memories: { id: string }[] }).memories.map((m) => m.id)).toEqual(['f-1']);
    expect(vectorTables()).not.toEqual(tablesBefore);
    expect(vectorTables()).toHaveLength(1);
    expect((await search('Who collects old maps?', 'semantic'))[0]?.id).toBe('f-1');
    expect((await runCli(['rebuild-index', '--force'], env)).code).toBe(2);
  });

  it('rebuild-index on an empty store says so', async () => {
    const store = makeTempStore();
    const r = await runCli(['rebuild-index'], store.env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/rebuilt the indexes of 0 memories/);
  });
});
