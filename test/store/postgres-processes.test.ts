/**
 * Several agent-memory processes on one PostgreSQL database (issue 13): two `api` processes and one `worker`, all
 * the built CLI, sharing a schema on PGlite served over the wire by this test process. PGlite is one backend that
 * runs one transaction at a time, so this proves that nothing is lost or run twice when the processes' statements
 * and transactions interleave across connections, not that PostgreSQL runs them in parallel.
 */
import type { ChildProcess } from 'node:child_process';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { callJson } from '../helpers/http-json.js';
import { CLI, cleanup, type Env, makeTempStore, spawnTracked, waitForExit } from '../helpers/spawn.js';
import { freshSchema, harness } from './postgres-helpers.js';

const schema = freshSchema();

/**
 * Every process opens the same schema. Two connections each: PGlite serves one transaction at a time whatever the
 * pool, and a second connection is enough to let a process's statements interleave with its own and the others'.
 * The apis only enqueue (--no-worker), so every task is the worker's; LONG_TERM_MEMORY is on for the verbatim
 * extraction the worker runs, which needs no LLM (and none is configured, so plain sessions schedule nothing).
 */
const env: Env = makeTempStore().env({
  MEMORY_BACKEND: 'postgres',
  DATABASE_URL: harness.url,
  POSTGRES_SCHEMA: schema,
  POSTGRES_POOL_SIZE: '2',
  AUTH_MODE: 'disabled',
  LONG_TERM_MEMORY: 'true',
  EXTRACTION_DEBOUNCE_SECONDS: '0',
  COMPACTION_EVERY_MINUTES: '0',
  // An idle worker learns of another process's task only by polling.
  TASK_POLL_MS: '100',
});

interface Proc {
  child: ChildProcess;
  /** Everything it wrote to stderr so far. */
  stderr: () => string;
}

function spawnCli(args: string[], extra: Env = {}): Proc {
  const child = spawnTracked(process.execPath, [CLI, ...args], { ...env, ...extra });
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return { child, stderr: () => err };
}

/** Resolves with the first match of `re` in the child's output, once it appears; rejects if the child exits first. */
function waitFor(proc: Proc, stream: 'stdout' | 'stderr', re: RegExp): Promise<RegExpExecArray> {
  let seen = '';
  return new Promise((resolve, reject) => {
    proc.child[stream]?.on('data', (d: Buffer) => {
      seen += d.toString();
      const m = re.exec(seen);
      if (m) resolve(m);
    });
    proc.child.on('exit', (code) => reject(new Error(`${CLI} exited with ${code} before ${re}\n${proc.stderr()}`)));
  });
}

async function startApi(): Promise<Proc & { url: string }> {
  const proc = spawnCli(['api', '--port', '0', '--no-worker']);
  const [, url] = await waitFor(proc, 'stdout', /listening on (http:\/\/127\.0\.0\.1:\d+)/);
  return { ...proc, url: url! };
}

async function startWorker(): Promise<Proc> {
  // debug: the worker then logs each task it completes, which is how the test counts runs.
  const proc = spawnCli(['worker', '--grace', '1'], { LOG_LEVEL: 'debug' });
  proc.child.stdout?.resume();
  await waitFor(proc, 'stderr', /agent-memory worker \S+ running on postgres/);
  return proc;
}

const call = callJson;

async function until<T>(check: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

let a: Proc & { url: string };
let b: Proc & { url: string };
let worker: Proc;
/** The test's own connection, to read what the REST API does not show (sequence numbers, task rows). */
const db = new pg.Client({ connectionString: harness.url });

beforeAll(async () => {
  // Started together, so they also race on creating the schema and running its migrations.
  [a, b, worker] = await Promise.all([startApi(), startApi(), startWorker()]);
  await db.connect();
  await db.query(`SET search_path = ${schema}, public`);
}, 60_000);

afterAll(async () => {
  // SIGTERM first, so each process closes its pool before PGlite (stopped by postgres-helpers) goes away.
  const running = [a, b, worker].filter((p) => p && p.child.exitCode === null && p.child.signalCode === null);
  for (const p of running) p.child.kill('SIGTERM');
  await Promise.all(running.map((p) => waitForExit(p.child.pid!, 10_000).catch(() => {})));
  await db.end().catch(() => {});
  await cleanup();
});

describe('two api processes and a worker on one PostgreSQL schema', () => {
  it('16 concurrent appenders spread over both apis lose no message and keep each one’s order', async () => {
    const appenders = 16;
    const each = 10;
    await Promise.all(
      Array.from({ length: appenders }, async (_, w) => {
        for (let i = 0; i < each; i++) {
          const url = (w + i) % 2 === 0 ? a.url : b.url;
          const res = await call(url, 'POST', '/v1/working-memory/shared/messages', {
            messages: [{ id: `w${w}-m${i}`, role: 'user', content: `appender ${w} message ${i}` }],
          });
          expect(res.status, JSON.stringify(res.body)).toBe(200);
        }
      }),
    );
    const got = await call(b.url, 'GET', '/v1/working-memory/shared');
    expect(got.status).toBe(200);
    const ids = (got.body.messages as { id: string }[]).map((m) => m.id);
    expect(ids).toHaveLength(appenders * each);
    expect(new Set(ids).size).toBe(appenders * each);
    for (let w = 0; w < appenders; w++) {
      expect(ids.filter((id) => id.startsWith(`w${w}-`))).toEqual(
        Array.from({ length: each }, (_, i) => `w${w}-m${i}`),
      );
    }
    // Commit order is the stored order: sequence numbers 1..N with no gap or repeat, in the order the API returns.
    const { rows } = await db.query<{ id: string; seq: number }>(
      `SELECT m.id, m.seq FROM session_messages m JOIN sessions s ON s.pk = m.session_pk
       WHERE s.session_id = 'shared' ORDER BY m.seq`,
    );
    expect(rows.map((r) => r.seq)).toEqual(Array.from({ length: appenders * each }, (_, i) => i + 1));
    expect(rows.map((r) => r.id)).toEqual(ids);
  }, 60_000);

  it('a memory created through one api is found by the other’s next search, keyword and hybrid', async () => {
    for (let i = 0; i < 5; i++) {
      const created = await call(a.url, 'POST', '/v1/long-term-memory', {
        memories: [{ id: `mem-${i}`, text: `Visitor ${i} ordered the saffron risotto number ${i}`, namespace: 'rest' }],
      });
      expect(created.status, JSON.stringify(created.body)).toBe(200);
      for (const search_mode of ['keyword', 'hybrid']) {
        const found = await call(b.url, 'POST', '/v1/long-term-memory/search', {
          text: `saffron risotto visitor ${i}`,
          namespace: { eq: 'rest' },
          search_mode,
        });
        expect(found.status, JSON.stringify(found.body)).toBe(200);
        const hits = (found.body.memories as { id: string }[]).map((m) => m.id);
        expect(hits, search_mode).toContain(`mem-${i}`);
        expect(hits, search_mode).toHaveLength(i + 1);
      }
    }
  }, 60_000);

  it('the extraction an api schedules is run by the worker exactly once', async () => {
    const said = ['Alice keeps bees on her roof', 'Alice sells the honey at the Saturday market'];
    const put = await call(a.url, 'PUT', '/v1/working-memory/beekeeping?namespace=farm', {
      messages: said.map((content, i) => ({ id: `bee-${i}`, role: 'user', content })),
      long_term_memory_strategy: { strategy: 'discrete', config: { verbatim: true } },
    });
    expect(put.status, JSON.stringify(put.body)).toBe(200);
    const { rows } = await db.query<{ id: string }>(`SELECT id FROM tasks WHERE kind = 'extract_memories'`);
    expect(rows).toHaveLength(1);
    const id = rows[0]!.id;
    const task = await until(async () => {
      const res = await call(b.url, 'GET', `/v1/tasks/${id}`);
      return res.body.status === 'success' && res.body;
    }, 'the extraction task to succeed');
    expect(task).toMatchObject({ type: 'extract_memories', attempts: 1, error_message: null });
    // The worker logs each task it completes (the apis run none: --no-worker).
    const done = worker
      .stderr()
      .split('\n')
      .filter((line) => line.includes('task done') && line.includes(id));
    expect(done).toHaveLength(1);
    // Verbatim memories skip dedup, so a second run would have stored each message twice.
    const listed = await call(b.url, 'GET', '/v1/long-term-memory?namespace=farm');
    expect(listed.status, JSON.stringify(listed.body)).toBe(200);
    const memories = listed.body.memories as { text: string; memory_type: string }[];
    expect(memories.map((m) => m.text).sort()).toEqual([...said].sort());
    expect(memories.every((m) => m.memory_type === 'message')).toBe(true);
  }, 60_000);
});
