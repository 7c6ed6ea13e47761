/**
 * Several agent-memory processes on one Redis: `worker` processes sharing the task queue, two `api` processes
 * serving the same sessions and memories, and an API that rides out a Redis restart. Every process is the built CLI.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/core/engine.js';
import type { RedisStore } from '../../src/store/redis/redis-store.js';
import { FakeLlm } from '../helpers/fake-llm.js';
import { callJson } from '../helpers/http-json.js';
import { type RedisHarness, startRedis } from '../helpers/redis-server.js';
import { baseEnv, CLI, cleanup, type Env, makeTempStore, spawnTracked, waitForExit } from '../helpers/spawn.js';
import { freshPrefix, harness, noRedis, noSearch } from './redis-helpers.js';

afterAll(cleanup);

/** A child environment on MEMORY_BACKEND=redis that also starts on a Redis without the search module. */
function redisEnv(prefix: string, extra: Env = {}, url = harness!.url): Env {
  return makeTempStore().env({
    ...baseEnv(),
    MEMORY_BACKEND: 'redis',
    REDIS_URL: url,
    REDIS_KEY_PREFIX: prefix,
    REDIS_REQUIRE_SEARCH: 'false',
    AUTH_MODE: 'disabled',
    LOG_LEVEL: 'warn',
    LONG_TERM_MEMORY: 'false',
    COMPACTION_EVERY_MINUTES: '0',
    ...extra,
  });
}

async function until<T>(check: () => Promise<T | undefined | false> | T | undefined | false, timeoutMs = 15_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await check();
    if (v) return v;
    if (Date.now() > deadline) throw new Error('timed out waiting');
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Starts `agent-memory api --port 0` and resolves with its URL once it listens. */
async function startApi(env: Env): Promise<{ url: string; child: ChildProcess }> {
  const child = spawnTracked(process.execPath, [CLI, 'api', '--port', '0'], env);
  return { url: await apiUrl(child), child };
}

/** The URL an `agent-memory api --port 0` child prints once it listens. */
function apiUrl(child: ChildProcess): Promise<string> {
  let out = '';
  let err = '';
  child.stderr?.on('data', (d: Buffer) => {
    err += d.toString();
  });
  return new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.on('exit', (code) => reject(new Error(`api exited with ${code}\n${out}\n${err}`)));
  });
}

const call = callJson;

function spawnWorker(env: Env, args: string[] = []) {
  const child = spawnTracked(process.execPath, [CLI, 'worker', ...args], env);
  child.stderr?.resume();
  child.stdout?.resume();
  return child;
}

describe.skipIf(noRedis)(`several processes on one Redis${noRedis ? ` (skipped: ${noRedis})` : ''}`, () => {
  it('worker: a killed worker’s task is redelivered to another worker once its lease expires; SIGTERM releases it', async () => {
    const llm = await new FakeLlm().start();
    const prefix = freshPrefix();
    const env = redisEnv(prefix, {
      LONG_TERM_MEMORY: 'true',
      OPENAI_API_BASE: llm.openaiUrl,
      OPENAI_API_KEY: 'test',
      LLM_MAX_RETRIES: '0',
      EXTRACTION_DEBOUNCE_SECONDS: '0',
      TASK_LEASE_SECONDS: '1',
      TASK_POLL_MS: '50',
    });
    // Every LLM call hangs: the task stays claimed for as long as its worker lives.
    llm.responder = () => ({ hang: true });
    const engine = await openEngine(loadConfig(env), { autoStartWorker: false });
    const store = engine.store as RedisStore;
    try {
      await engine.workingMemory.append({ session_id: 's', namespace: null, user_id: null }, [
        { role: 'user', content: 'Alice likes green tea' },
      ]);
      const [key] = await store.client.keys(`${store.keys.base}task:*`);
      const id = key!.slice(`${store.keys.base}task:`.length);
      expect(await store.tasks.get(id)).toMatchObject({ kind: 'extract_memories', status: 'pending' });

      const a = spawnWorker(env);
      await until(() => llm.calls.length >= 1);
      const claimed = await store.tasks.get(id);
      expect(claimed).toMatchObject({ status: 'running', attempts: 1 });
      expect(claimed!.lease_owner).toContain(`:${a.pid}:`);
      a.kill('SIGKILL');
      await waitForExit(a.pid!);

      const killedAt = Date.now();
      const b = spawnWorker(env, ['--grace', '0.2']);
      await until(() => llm.calls.length >= 2);
      // Taken again only after the dead worker's lease ran out (1 s, less what had passed).
      expect(Date.now() - killedAt).toBeGreaterThan(200);
      const again = await store.tasks.get(id);
      expect(again).toMatchObject({ status: 'running', attempts: 2 });
      expect(again!.lease_owner).toContain(`:${b.pid}:`);

      // Graceful stop: the hanging task outlives --grace, so the worker releases it and exits 0.
      const exited = new Promise<number | null>((resolve) => b.on('exit', (code) => resolve(code)));
      b.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(await store.tasks.get(id)).toMatchObject({ status: 'pending', lease_owner: null });
    } finally {
      await store.destroy();
      await engine.close();
      await llm.close();
    }
  }, 30_000);
  it('api --no-worker only enqueues; a separate worker process runs the task', async () => {
    const llm = await new FakeLlm().start();
    const env = redisEnv(freshPrefix(), {
      LONG_TERM_MEMORY: 'true',
      OPENAI_API_BASE: llm.openaiUrl,
      OPENAI_API_KEY: 'test',
      LLM_MAX_RETRIES: '0',
      EXTRACTION_DEBOUNCE_SECONDS: '0',
      TASK_POLL_MS: '50',
    });
    llm.responder = () => ({ hang: true });
    const api = spawnTracked(process.execPath, [CLI, 'api', '--port', '0', '--no-worker'], env);
    try {
      const url = await apiUrl(api);
      const res = await call(url, 'POST', '/v1/working-memory/s/messages', {
        messages: [{ role: 'user', content: 'Bob plays the cello' }],
      });
      expect(res.status).toBe(200);
      await new Promise((r) => setTimeout(r, 500));
      expect(llm.calls).toHaveLength(0); // the API ran nothing
      const worker = spawnWorker(env, ['--grace', '0']);
      await until(() => llm.calls.length >= 1);
      expect(llm.calls[0]!.user).toContain('Bob plays the cello');
      worker.kill('SIGTERM');
      await waitForExit(worker.pid!);
    } finally {
      api.kill('SIGTERM');
      await llm.close();
    }
  }, 30_000);

  it('two api processes: 16 concurrent appenders spread across both lose no message', async () => {
    const env = redisEnv(freshPrefix());
    const [a, b] = await Promise.all([startApi(env), startApi(env)]);
    const appenders = 16;
    const each = 10;
    await Promise.all(
      Array.from({ length: appenders }, async (_, w) => {
        for (let i = 0; i < each; i++) {
          const url = (w + i) % 2 === 0 ? a.url : b.url;
          const res = await call(url, 'POST', '/v1/working-memory/shared/messages', {
            messages: [{ role: 'user', content: `w${w}-m${i}` }],
          });
          expect(res.status).toBe(200);
        }
      }),
    );
    const got = await call(a.url, 'GET', '/v1/working-memory/shared');
    expect(got.status).toBe(200);
    const messages = got.body.messages as { id: string; content: string }[];
    expect(messages).toHaveLength(appenders * each);
    expect(new Set(messages.map((m) => m.id)).size).toBe(appenders * each);
    expect(new Set(messages.map((m) => m.content)).size).toBe(appenders * each);
    // Each appender's own messages stay in the order it sent them.
    for (let w = 0; w < appenders; w++) {
      const mine = messages.filter((m) => m.content.startsWith(`w${w}-`)).map((m) => m.content);
      expect(mine).toEqual(Array.from({ length: each }, (_, i) => `w${w}-m${i}`));
    }
    a.child.kill('SIGTERM');
    b.child.kill('SIGTERM');
  }, 30_000);

  it.skipIf(noSearch)(
    `two api processes: a memory created through one is found through the other in the next request${noSearch ? ` (skipped: ${noSearch})` : ''}`,
    async () => {
      const env = redisEnv(freshPrefix(), { REDIS_REQUIRE_SEARCH: 'true' });
      const [a, b] = await Promise.all([startApi(env), startApi(env)]);
      for (let i = 0; i < 5; i++) {
        const text = `Visitor ${i} ordered the saffron risotto number ${i}`;
        const created = await call(a.url, 'POST', '/v1/long-term-memory', {
          memories: [{ id: `mem-${i}`, text, namespace: 'restaurant' }],
        });
        expect(created.status).toBe(200);
        const found = await call(b.url, 'POST', '/v1/long-term-memory/search', {
          text: `saffron risotto number ${i}`,
          namespace: { eq: 'restaurant' },
          search_mode: 'keyword',
        });
        expect(found.status).toBe(200);
        expect((found.body.memories as { id: string }[]).map((m) => m.id)).toContain(`mem-${i}`);
      }
      a.child.kill('SIGTERM');
      b.child.kill('SIGTERM');
    },
    30_000,
  );

  const external = process.env.REDIS_URL ? ' (skipped: REDIS_URL names a Redis this test cannot stop)' : '';
  it.skipIf(external)(
    `redis-server stopped under load: requests answer 503 naming Redis, then succeed again after a restart${external}`,
    async () => {
      // A server of its own, which this test kills and restarts on the same port.
      const own: RedisHarness = await startRedis();
      try {
        const api = await startApi(redisEnv(freshPrefix(), {}, own.url));
        const append = (n: number) =>
          call(api.url, 'POST', '/v1/working-memory/load/messages', { messages: [{ role: 'user', content: `m${n}` }] });
        let n = 0;
        let stop = false;
        const statuses: number[] = [];
        const details: string[] = [];
        // Steady load from 4 clients for the whole test.
        const load = Promise.all(
          Array.from({ length: 4 }, async () => {
            while (!stop) {
              const res = await append(n++);
              statuses.push(res.status);
              if (res.status !== 200) details.push(String(res.body?.detail));
            }
          }),
        );
        await until(() => statuses.filter((s) => s === 200).length >= 20);
        await own.kill();
        const before = statuses.length;
        await until(() => statuses.slice(before).filter((s) => s === 503).length >= 10);
        const down = await call(api.url, 'GET', '/v1/working-memory/load');
        expect(down.status).toBe(503);
        expect(String(down.body.detail)).toMatch(/^Redis at .* is unreachable: the connection is down/);
        expect(api.child.exitCode).toBeNull();

        await own.restart();
        const after = statuses.length;
        await until(() => statuses.slice(after).filter((s) => s === 200).length >= 10, 20_000);
        stop = true;
        await load;
        expect(api.child.exitCode).toBeNull();
        expect(new Set(statuses)).toEqual(new Set([200, 503]));
        expect(details.every((d) => /^Redis at redis:\/\/127\.0\.0\.1:\d+ is unreachable: /.test(d))).toBe(true);
        console.info(`while Redis was down: ${details.length} × 503, e.g. ${JSON.stringify(details[0])}`);
        const up = await call(api.url, 'GET', '/v1/working-memory/load');
        expect(up.status).toBe(200);
        api.child.kill('SIGTERM');
      } finally {
        await own.stop();
      }
    },
    40_000,
  );
});
