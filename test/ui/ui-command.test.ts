/**
 * `agent-memory ui`: starts the api server when none answers on the address and prints the dashboard URL; with one
 * already running, prints its URL and exits. The built CLI as real processes on loopback.
 */
import type { ChildProcess } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { CLI, cleanup, makeTempStore, runCli, spawnTracked, waitForExit } from '../helpers/spawn.js';

afterAll(cleanup);

/** Resolves with the dashboard URL once the process prints it (the server answers by then). */
function dashboardUrl(child: ChildProcess): Promise<string> {
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
      const m = /^Dashboard: (http:\/\/\S+)$/m.exec(out);
      if (m) resolve(m[1]!);
    });
    child.stderr!.on('data', (d: Buffer) => {
      err += d.toString('utf8');
    });
    child.once('exit', (code) => reject(new Error(`agent-memory ui exited with ${code}\n${out}\n${err}`)));
  });
}

describe('agent-memory ui', () => {
  it('starts the api when needed, prints the dashboard URL, and reuses a running server', async () => {
    const store = makeTempStore();
    const env = store.env({ EMBEDDING_MODEL: 'offline-hash-v1', BROWSER: 'none' });
    const child = spawnTracked(process.execPath, [CLI, 'ui', '--port', '0', '--no-open'], env);
    const url = await dashboardUrl(child);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/ui$/);
    const page = await fetch(url);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<h1>Overview</h1>');

    const port = new URL(url).port;
    const again = await runCli(['ui', '--port', port], env, { timeoutMs: 20_000 });
    expect(again.code).toBe(0);
    expect(again.stdout.trim()).toBe(`Dashboard: ${url}`);

    child.kill('SIGTERM');
    await waitForExit(child.pid!, 15_000);
  });

  it('says how to sign in when tokens are required', async () => {
    const store = makeTempStore();
    const env = store.env({ EMBEDDING_MODEL: 'offline-hash-v1', AUTH_MODE: 'token', BROWSER: 'none' });
    const child = spawnTracked(process.execPath, [CLI, 'ui', '--port', '0', '--no-open'], env);
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString('utf8');
    });
    const url = await dashboardUrl(child);
    await expect.poll(() => out).toContain('Sign in with a token: agent-memory token add');
    const res = await fetch(url, { redirect: 'manual' });
    expect(res.status).toBe(303);
    expect(res.headers.get('location')).toMatch(/^\/ui\/login/);
    child.kill('SIGTERM');
    await waitForExit(child.pid!, 15_000);
  });
});
