import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PACKAGE_ROOT } from '../../src/version.js';
import { call } from './helpers.js';

const run = promisify(execFile);
const CLI = join(PACKAGE_ROOT, 'dist', 'src', 'cli.js');

let dir: string;
let env: Record<string, string>;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'agent-memory-cli-api-'));
  env = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (
      v !== undefined &&
      !/^(OPENAI|ANTHROPIC|AUTH|OAUTH2|API_HOST|PORT|MEMORY|SQLITE|EMBEDDING|CORS|RATE|HTTP|MCP)_?/.test(k)
    )
      env[k] = v;
  }
  Object.assign(env, { SQLITE_PATH: join(dir, 'memory.db'), LOG_LEVEL: 'info' });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const cli = (args: string[], extra: Record<string, string> = {}) =>
  run(process.execPath, [CLI, ...args], { env: { ...env, ...extra } });

/** Starts `agent-memory api --port 0` and resolves once the banner names the URL. */
function startApi(
  extra: Record<string, string>,
  args: string[] = [],
): Promise<{ child: ChildProcess; url: string; stdout: () => string; stderr: () => string }> {
  const child = spawn(process.execPath, [CLI, 'api', '--port', '0', ...args], {
    env: { ...env, ...extra },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  return new Promise((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1]!, stdout: () => out, stderr: () => err });
    });
    child.stderr!.on('data', (d) => {
      err += d;
    });
    child.once('exit', (code) => reject(new Error(`api exited with ${code}: ${err}`)));
  });
}

const exited = (child: ChildProcess) =>
  new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));

describe('agent-memory token and api commands', () => {
  it('adds, lists and removes tokens; only digests are stored', async () => {
    const added = await cli([
      'token',
      'add',
      '--namespace',
      'team',
      '--user',
      'ann',
      '--scope',
      'write',
      '--expires',
      '30d',
      '--json',
    ]);
    const { token, id, expires_at } = JSON.parse(added.stdout);
    expect(token).toMatch(/^amk_[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(expires_at) - Date.now()).toBeGreaterThan(29 * 86_400_000);
    const plain = await cli(['token', 'add', '--namespace', 'team', '--scope', 'read']);
    expect(plain.stdout.trim()).toMatch(/^amk_/);
    expect(plain.stderr).toMatch(/shown only now/);

    const listed = JSON.parse((await cli(['token', 'list', '--json'])).stdout);
    expect(listed.map((t: { id: string }) => t.id)).toContain(id);
    expect(JSON.stringify(listed)).not.toContain(token);
    expect(readFileSync(join(dir, 'memory.db')).includes(Buffer.from(token))).toBe(false);

    await cli(['token', 'remove', id]);
    expect(JSON.parse((await cli(['token', 'list', '--json'])).stdout).map((t: { id: string }) => t.id)).not.toContain(
      id,
    );
    await expect(cli(['token', 'remove', id])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/No token/),
    });
    await expect(cli(['token', 'add', '--scope', 'write'])).rejects.toMatchObject({
      stderr: expect.stringMatching(/--namespace is required/),
    });
    await expect(cli(['token', 'add', '--scope', 'root', '--namespace', 'x'])).rejects.toMatchObject({
      stderr: expect.stringMatching(/--scope/),
    });
  });

  it('serves with token auth, prints the client configs, and drains in-flight requests on SIGTERM', async () => {
    const { token } = JSON.parse(
      (await cli(['token', 'add', '--namespace', 'team', '--scope', 'write', '--json'])).stdout,
    );
    const { child, url, stdout, stderr } = await startApi({ AUTH_MODE: 'token', LOG_LEVEL: 'info' });
    try {
      expect(stdout()).toContain(`${url}/mcp`);
      expect(stdout()).toContain('"mcpServers"');
      expect(stdout()).toContain('Authorization');
      expect((await call(url, 'GET', '/v1/stats')).status).toBe(401);
      const ok = await call(url, 'POST', '/v1/long-term-memory', {
        token,
        body: { memories: [{ id: 'c1', text: 'from the CLI test' }] },
      });
      expect(ok.status).toBe(200);

      // Half a request is in flight when SIGTERM arrives; the server must still answer it, then exit 0.
      const { port } = new URL(url);
      const body = JSON.stringify({ text: 'CLI test' });
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      let response = '';
      socket.on('data', (d) => {
        response += d;
      });
      // `Expect: 100-continue` makes the server say when it has the request: readiness, not a guessed delay.
      socket.write(
        `POST /v1/long-term-memory/search HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nAuthorization: Bearer ${token}\r\n` +
          `Content-Type: application/json\r\nContent-Length: ${body.length}\r\nExpect: 100-continue\r\n\r\n` +
          body.slice(0, 5),
      );
      await expect.poll(() => response, { timeout: 20_000 }).toMatch(/^HTTP\/1\.1 100 Continue/);
      const exit = exited(child);
      child.kill('SIGTERM');
      await expect.poll(stderr, { timeout: 20_000 }).toMatch(/SIGTERM: draining in-flight requests/);
      // The rest is written without half-closing: a client that sends FIN before its answer cannot receive one once
      // the answer needs asynchronous work (here the sentence encoder's worker thread). The draining server closes
      // the socket itself once the response is out.
      socket.write(body.slice(5));
      await new Promise((r) => socket.once('close', r));
      expect(response).toMatch(/^HTTP\/1\.1 100 Continue\r\n\r\nHTTP\/1\.1 200/);
      expect(response).toContain('from the CLI test');
      expect(await exit).toBe(0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  it('refuses to listen on a network address without auth unless forced', async () => {
    await expect(cli(['api', '--host', '0.0.0.0', '--port', '0'])).rejects.toMatchObject({
      code: 2,
      stderr: expect.stringMatching(/Refusing to listen on 0\.0\.0\.0.*--insecure-no-auth/s),
    });
    const { child, url } = await startApi({}, ['--host', '0.0.0.0', '--insecure-no-auth']);
    try {
      expect((await call(url, 'GET', '/v1/health')).status).toBe(200);
    } finally {
      const exit = exited(child);
      child.kill('SIGTERM');
      expect(await exit).toBe(0);
    }
  });

  it('npm start runs the API server', () => {
    const pkg = JSON.parse(readFileSync(join(PACKAGE_ROOT, 'package.json'), 'utf8'));
    expect(pkg.scripts.start).toBe('node dist/src/cli.js api');
  });
});
