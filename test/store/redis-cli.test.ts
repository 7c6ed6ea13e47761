import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, cleanup, connectMcp, type Env, makeTempStore, runCli } from '../helpers/spawn.js';
import { freshPrefix, harness, noRedis, noSearch } from './redis-helpers.js';

afterAll(cleanup);

/** A child environment on MEMORY_BACKEND=redis with its own key prefix (and a temp dir for anything on disk). */
function redisEnv(prefix: string): Env {
  return makeTempStore().env({
    ...baseEnv(),
    MEMORY_BACKEND: 'redis',
    REDIS_URL: harness!.url,
    REDIS_KEY_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    // No LLM: background extraction stays off, so the test sees only what it wrote.
    LONG_TERM_MEMORY: 'false',
  });
}

describe.skipIf(noRedis)(`agent-memory on MEMORY_BACKEND=redis${noRedis ? ` (skipped: ${noRedis})` : ''}`, () => {
  it.skipIf(!noSearch)('refuses to start on a Redis without the search module, saying which Redis to use', async () => {
    const res = await runCli(['rebuild-index'], redisEnv(freshPrefix()));
    expect(res.code).toBe(2);
    expect(res.stderr).toMatch(
      /no search module.*Redis 8, Redis Stack, Redis Cloud, or Redis with the RediSearch module 2\.6/s,
    );
  });

  it.skipIf(noSearch)('serves two MCP processes from one Redis: what one writes the other reads', async () => {
    const env = redisEnv(freshPrefix());
    const [a, b] = await Promise.all([connectMcp(env), connectMcp(env)]);
    try {
      const created = await a.ok<{ created: number; memories: { id: string }[] }>('create_long_term_memories', {
        memories: [{ text: 'Alice likes spicy ramen', topics: ['food'] }, { text: 'The report is due Friday' }],
      });
      expect(created.created).toBe(2);
      const found = await b.ok<{ memories: { id: string; text: string }[] }>('search_memory', {
        query: 'What food does Alice like?',
      });
      expect(found.memories[0]?.text).toBe('Alice likes spicy ramen');
      await a.ok('append_messages', { session_id: 'shared', messages: [{ role: 'user', content: 'hello from a' }] });
      await b.ok('append_messages', { session_id: 'shared', messages: [{ role: 'user', content: 'hello from b' }] });
      const wm = await a.ok<{ messages: { content: string }[] }>('get_working_memory', { session_id: 'shared' });
      expect(wm.messages.map((m) => m.content)).toEqual(['hello from a', 'hello from b']);
    } finally {
      await Promise.all([a.close(), b.close()]);
    }
    const rebuilt = await runCli(['rebuild-index'], env);
    expect(rebuilt.code).toBe(0);
    expect(rebuilt.stderr).toContain('indexed 2 memories');
  });
});
