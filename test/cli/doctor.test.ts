/**
 * `agent-memory doctor` as a real process: what it checks (store, embedder, LLM, client configs) and what it
 * says to fix, against a local OpenAI-wire stand-in for the LLM.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeLlm, startFakeLlm } from '../helpers/fake-llm.js';
import { baseEnv, cleanup, makeTempStore, runCli } from '../helpers/spawn.js';

let llm: FakeLlm;
beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(async () => {
  await llm?.close();
  await cleanup();
});

interface Check {
  area: string;
  status: 'ok' | 'warn' | 'fail';
  detail: string;
  fix?: string;
}

function setup(extra: Record<string, string> = {}) {
  const store = makeTempStore();
  const home = join(store.dir, 'home');
  mkdirSync(home, { recursive: true });
  const env = {
    ...baseEnv(),
    ...store.env({ EMBEDDING_MODEL: 'offline-hash-v1' }),
    HOME: home,
    XDG_CONFIG_HOME: join(home, '.config'),
    ...extra,
  };
  const doctor = async (args: string[] = []) => {
    const r = await runCli(['doctor', '--json', ...args], env, { cwd: store.dir });
    return { code: r.code, checks: JSON.parse(r.stdout) as Check[], stderr: r.stderr };
  };
  return { store, home, env, doctor };
}
const find = (checks: Check[], area: string) => checks.filter((c) => c.area.startsWith(area));

describe('agent-memory doctor', () => {
  it('passes a working setup, calling the LLM once per model, and finds the installed client', async () => {
    const t = setup({ OPENAI_API_BASE: llm.openaiUrl, GENERATION_MODEL: 'local-model', FAST_MODEL: 'local-model' });
    expect((await runCli(['install', 'claude-desktop'], t.env)).code).toBe(0);
    llm.reset();
    const { code, checks, stderr } = await t.doctor();
    expect(code, stderr).toBe(0);
    expect(find(checks, 'store')[0]).toMatchObject({ status: 'ok', detail: /no database yet/ });
    expect(find(checks, 'embedder')[0]).toMatchObject({ status: 'ok', detail: /offline-hash-v1/ });
    expect(find(checks, 'llm')).toEqual([
      expect.objectContaining({ status: 'ok', detail: expect.stringMatching(/openai local-model answered/) }),
    ]);
    expect(llm.calls).toHaveLength(1);
    expect(find(checks, 'claude-desktop (user) "agent-memory"')[0]).toMatchObject({ status: 'ok' });
    expect(checks.every((c) => c.status !== 'fail')).toBe(true);
  });

  it('says what to fix: a stale client entry, a model mismatch, a missing LLM', async () => {
    const t = setup();
    const cursor = join(t.home, '.cursor', 'mcp.json');
    mkdirSync(join(cursor, '..'), { recursive: true });
    writeFileSync(
      cursor,
      JSON.stringify({
        mcpServers: {
          'agent-memory': { command: process.execPath, args: ['/gone/agent-memory/dist/src/cli.js', 'mcp'] },
        },
      }),
    );
    // A store made with one embedding model, then configured with another.
    await runCli(['import', '/dev/null'], t.env);
    const { code, checks } = await t.doctor(['--skip-network']);
    expect(code).toBe(1);
    const stale = find(checks, 'cursor (user)')[0]!;
    expect(stale).toMatchObject({ status: 'fail', detail: /does not exist/ });
    expect(stale.fix).toMatch(/agent-memory install cursor/);
    expect(find(checks, 'llm')[0]).toMatchObject({ status: 'warn', fix: /OPENAI_API_KEY/ });
    expect(find(checks, 'store')[0]).toMatchObject({ status: 'ok', detail: /0 memories/ });

    const mismatch = await runCli(['doctor', '--json', '--skip-network'], {
      ...t.env,
      EMBEDDING_MODEL: 'offline-wordvec-v1',
    });
    const embedder = find(JSON.parse(mismatch.stdout), 'embedder')[0]!;
    expect(embedder).toMatchObject({ status: 'fail', fix: /agent-memory reembed/ });
  });

  it('--skip-network leaves a remote Redis or PostgreSQL store alone', async () => {
    // Unroutable names (.invalid never resolves): a store check that ran would fail; a skipped one warns.
    for (const [backend, url] of [
      ['redis', { REDIS_URL: 'redis://cache.invalid:6379' }],
      ['postgres', { DATABASE_URL: 'postgres://u:p@db.invalid:5432/memory' }],
    ] as const) {
      const t = setup({ MEMORY_BACKEND: backend, ...url });
      const { checks } = await t.doctor(['--skip-network']);
      expect(find(checks, 'store'), backend).toEqual([
        expect.objectContaining({ status: 'warn', detail: expect.stringMatching(/not checked \(--skip-network\)/) }),
      ]);
      const checked = await t.doctor();
      expect(find(checked.checks, 'store')[0], backend).toMatchObject({ status: 'fail' });
    }
  });

  it('reports a bad setting, and a client config that does not parse', async () => {
    const t = setup({ SQLITE_BUSY_TIMEOUT_MS: 'soon' });
    const vscode = join(t.home, '.config', 'Code', 'User', 'mcp.json');
    mkdirSync(join(vscode, '..'), { recursive: true });
    writeFileSync(vscode, '{"servers": ');
    const { code, checks } = await t.doctor();
    expect(code).toBe(1);
    expect(find(checks, 'config')[0]).toMatchObject({ status: 'fail', detail: /SQLITE_BUSY_TIMEOUT_MS/ });
    expect(find(checks, 'vscode (user)')[0]).toMatchObject({ status: 'fail', detail: /not valid JSON/ });
    const text = await runCli(['doctor'], t.env);
    expect(text.stdout).toMatch(/✗ config +Invalid configuration:\n +SQLITE_BUSY_TIMEOUT_MS="soon"/);
    expect(text.stdout).toMatch(/fix: /);
    expect(text.stdout).toMatch(/problem\(s\) to fix/);
  });
});
