/**
 * `agent-memory erase-user`, `stats` and `history` (the built CLI) on a real SQLite file; CLI writes are recorded
 * under the actor "cli".
 */
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/core/engine.js';
import { cleanup, makeTempStore, runCli } from '../helpers/spawn.js';

afterAll(cleanup);

describe('agent-memory erase-user, stats and history', () => {
  const store = makeTempStore();

  it('says what a user has without --yes, erases with it, and stats and history show the result', async () => {
    const engine = await openEngine(loadConfig(store.env()), { autoStartWorker: false });
    try {
      await engine.longTerm.create([
        { id: 'm-zoe', text: 'Zoe keeps bees', user_id: 'zoe', namespace: 'home' },
        { id: 'm-zoe-2', text: 'Zoe sails on Sundays', user_id: 'zoe', namespace: 'work' },
        { id: 'm-ann', text: 'Ann keeps a diary', user_id: 'ann', namespace: 'home' },
      ]);
      await engine.workingMemory.append({ session_id: 'chat', namespace: 'home', user_id: 'zoe' }, [
        { role: 'user', content: 'hello' },
      ]);
    } finally {
      await engine.close();
    }

    const stats = await runCli(['stats', '--namespace', 'home'], store.env());
    expect(stats.code, stats.stderr).toBe(0);
    expect(JSON.parse(stats.stdout)).toMatchObject({
      long_term_memories: 2,
      by_user: { zoe: 1, ann: 1 },
      working_memory_sessions: 1,
      messages: 1,
    });

    const asked = await runCli(['erase-user', 'zoe'], store.env());
    expect(asked.code, asked.stderr).toBe(0);
    expect(asked.stdout).toContain('user "zoe" has 2 memories and 1 sessions in every namespace');
    expect(asked.stdout).toContain('nothing was erased');

    const erased = await runCli(['erase-user', 'zoe', '--namespace', 'home', '--yes', '--json'], store.env());
    expect(erased.code, erased.stderr).toBe(0);
    expect(JSON.parse(erased.stdout)).toMatchObject({ user_id: 'zoe', namespace: 'home', memories: 1, sessions: 1 });
    const after = JSON.parse((await runCli(['stats'], store.env())).stdout);
    expect(after.by_user).toEqual({ zoe: 1, ann: 1 });

    const gone = await runCli(['history', 'm-zoe'], store.env());
    expect(gone.code).not.toBe(0);
    expect(gone.stderr).toMatch(/No long-term memory with id "m-zoe"/);
    const left = JSON.parse((await runCli(['history', 'm-zoe-2'], store.env())).stdout);
    expect(left.events.map((e: { action: string }) => e.action)).toEqual(['create']);

    const usage = await runCli(['erase-user'], store.env());
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/usage: agent-memory erase-user/);
  });

  it('records what the CLI does under the actor "cli"', async () => {
    const applied = await runCli(['forget', '--budget', '0', '--namespace', 'work', '--apply'], store.env());
    expect(applied.code, applied.stderr).toBe(0);
    const history = JSON.parse((await runCli(['history', 'm-zoe-2'], store.env())).stdout);
    expect(history.events.map((e: { action: string; actor: string }) => [e.action, e.actor])).toEqual([
      ['create', 'server'],
      ['forget', 'cli'],
    ]);
  });
});
