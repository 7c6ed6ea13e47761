/**
 * `agent-memory api --workers 2`: the built CLI as a real process tree (a primary and two cluster workers) on one
 * SQLite file. Every request here goes on a new connection, which the primary hands to the workers in turn, so
 * an MCP session's requests reach the worker that does not hold it as often as the one that does.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { request } from 'node:http';
import { Readable } from 'node:stream';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { SSEClientTransport } from '@modelcontextprotocol/sdk/client/sse.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { baseEnv, CLI, makeTempStore } from '../helpers/spawn.js';

const run = promisify(execFile);

/** fetch over a connection of its own (no keep-alive pool), so each request is one more connection to hand out. */
async function freshFetch(input: string | URL, init?: RequestInit): Promise<Response> {
  const headers: Record<string, string> = {};
  new Headers(init?.headers).forEach((v, k) => {
    headers[k] = v;
  });
  return new Promise((resolve, reject) => {
    const req = request(new URL(input), { method: init?.method ?? 'GET', headers, agent: false }, (res) => {
      const out = new Headers();
      for (const [k, v] of Object.entries(res.headers)) if (v !== undefined) out.set(k, String(v));
      const status = res.statusCode ?? 500;
      const body = status === 204 || status === 304 ? null : (Readable.toWeb(res) as ReadableStream);
      resolve(new Response(body, { status, headers: out }));
    });
    req.on('error', reject);
    init?.signal?.addEventListener('abort', () => req.destroy());
    req.end(typeof init?.body === 'string' ? init.body : undefined);
  });
}

/** The processes whose parent is `pid` (from /proc: no procps needed). */
function childrenOf(pid: number): number[] {
  const out: number[] = [];
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // pid (comm) state ppid …: comm may hold spaces, so read after its closing parenthesis.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === pid) out.push(Number(name));
    } catch {
      // Gone meanwhile.
    }
  }
  return out;
}

async function until<T>(what: string, probe: () => T | undefined | Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const store = makeTempStore();
let child: ChildProcess;
let url: string;
let stderr = '';

const post = async (path: string, body: unknown) => {
  const res = await freshFetch(`${url}${path}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
};

beforeAll(async () => {
  child = spawn(process.execPath, [CLI, 'api', '--port', '0', '--workers', '2'], {
    env: store.env({ AUTH_MODE: 'disabled', EMBEDDING_MODEL: 'offline-hash-v1', LOG_LEVEL: 'info' }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stderr!.on('data', (d) => {
    stderr += d;
  });
  let out = '';
  url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on('data', (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`api exited with ${code}: ${stderr}`)));
  });
  // The banner is printed once, by the primary, when both workers serve.
  expect(out.match(/listening on/g)).toHaveLength(1);
});

afterAll(() => {
  if (child.exitCode === null) child.kill('SIGKILL');
});

async function mcpClient(kind: 'http' | 'sse'): Promise<{ client: Client; sessionId: () => string | undefined }> {
  const client = new Client({ name: 'workers-test', version: '0' });
  if (kind === 'http') {
    const transport = new StreamableHTTPClientTransport(new URL(`${url}/mcp`), { fetch: freshFetch });
    await client.connect(transport);
    return { client, sessionId: () => transport.sessionId };
  }
  const transport = new SSEClientTransport(new URL(`${url}/sse`), { fetch: freshFetch });
  await client.connect(transport);
  return { client, sessionId: () => undefined };
}

describe('agent-memory api --workers 2', () => {
  it('runs two worker processes that share the file: what one writes, the other finds', async () => {
    expect(childrenOf(child.pid!)).toHaveLength(2);
    const created = await post('/v1/long-term-memory', {
      memories: [{ id: 'w-1', text: 'Ada keeps her telescope in the garden shed' }],
    });
    expect(created.status).toBe(200);
    // Each search is a new connection, so they alternate between the workers.
    for (let i = 0; i < 6; i++) {
      const found = await post('/v1/long-term-memory/search', { text: 'telescope garden shed', limit: 3 });
      expect(found.status).toBe(200);
      expect((found.body.memories as { id: string }[]).map((m) => m.id)).toContain('w-1');
    }
  });

  it.each(['http', 'sse'] as const)(
    'serves an MCP session over %s whichever worker each of its requests reaches',
    async (kind) => {
      const { client, sessionId } = await mcpClient(kind);
      try {
        if (kind === 'http') expect(sessionId()).toMatch(/^w[12]-/);
        const made = (await client.callTool({
          name: 'create_long_term_memories',
          arguments: { memories: [{ id: `mcp-${kind}`, text: `Bo waters the ${kind} orchids every Tuesday` }] },
        })) as CallToolResult;
        expect(made.isError).toBeFalsy();
        for (let i = 0; i < 4; i++) {
          const hit = (await client.callTool({
            name: 'search_memory',
            arguments: { query: `${kind} orchids Tuesday`, limit: 3 },
          })) as CallToolResult;
          expect(hit.isError).toBeFalsy();
          expect(JSON.stringify(hit.content)).toContain(`mcp-${kind}`);
        }
      } finally {
        await client.close();
      }
    },
  );

  it('replaces a worker that dies, and keeps answering', async () => {
    const before = childrenOf(child.pid!);
    process.kill(before[0]!, 'SIGKILL');
    const after = await until('a replacement worker', () => {
      const now = childrenOf(child.pid!);
      return now.length === 2 && !now.includes(before[0]!) ? now : undefined;
    });
    expect(after).toContain(before[1]);
    // Ready once it answers: the primary forked it, the port is shared.
    for (let i = 0; i < 4; i++) {
      const ok = await until('the replacement to serve', async () => {
        const res = await freshFetch(`${url}/v1/health`).catch(() => undefined);
        return res?.status === 200 ? true : undefined;
      });
      expect(ok).toBe(true);
    }
    expect(stderr).toMatch(/API worker stopped; starting another/);
  });

  it('stops the primary and every worker on SIGTERM', async () => {
    const workers = childrenOf(child.pid!);
    expect(workers).toHaveLength(2);
    const code = new Promise<number | null>((r) => child.once('exit', (c) => r(c)));
    child.kill('SIGTERM');
    expect(await code).toBe(0);
    for (const pid of workers) expect(() => process.kill(pid, 0)).toThrow();
  });
});

describe('agent-memory api --workers: refusals', () => {
  const env = store.env({ AUTH_MODE: 'disabled' });
  it.each([
    [['--workers', '0'], /--workers: expected a whole number from 1 to 64, or auto; got "0"/],
    [['--workers', 'two'], /--workers: expected a whole number from 1 to 64, or auto; got "two"/],
  ])('refuses %j', async (args, message) => {
    const err = await run(process.execPath, [CLI, 'api', '--port', '0', ...args], { env }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(message);
  });

  it('refuses several workers on the in-process memory backend', async () => {
    const err = await run(process.execPath, [CLI, 'api', '--port', '0', '--workers', '2'], {
      env: { ...baseEnv(), MEMORY_BACKEND: 'memory', AUTH_MODE: 'disabled' },
    }).catch((e) => e);
    expect(err.code).toBe(2);
    expect(err.stderr).toMatch(/--workers needs a store the workers can share/);
  });
});
