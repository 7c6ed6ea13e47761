/**
 * Helpers for end-to-end tests: every test talks to the built CLI (`dist/src/cli.js`, built by the global setup)
 * as a real child process, on a real SQLite file in a temporary directory.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
export const CLI = join(ROOT, 'dist', 'src', 'cli.js');

export type Env = Record<string, string>;

/** Settings of the server that must not leak from the developer's shell into a test. */
const SERVER_SETTINGS = new Set([
  'MEMORY_BACKEND',
  'SQLITE_PATH',
  'EMBEDDING_PROVIDER',
  'EMBEDDING_MODEL',
  'EMBEDDING_DIMENSIONS',
  'MAX_TEXT_BYTES',
  'DEFAULT_MCP_NAMESPACE',
  'DEFAULT_MCP_USER_ID',
  'LOG_LEVEL',
  'SQLITE_BUSY_TIMEOUT_MS',
  'RECENCY_BOOST',
  'XDG_DATA_HOME',
]);

/** process.env without API keys (OPENAI_*, ANTHROPIC_*) and without server settings. */
export function baseEnv(): Env {
  const env: Env = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (value === undefined) continue;
    if (/^(OPENAI|ANTHROPIC)_/i.test(key) || SERVER_SETTINGS.has(key)) continue;
    env[key] = value;
  }
  // A developer's .env files (with their API keys) must not reach the processes the tests start.
  env.AGENT_MEMORY_NO_DOTENV = '1';
  return env;
}

export interface TempStore {
  dir: string;
  dbPath: string;
  /** The child environment for this store, plus `extra`. */
  env(extra?: Env): Env;
}

const tempDirs: string[] = [];

/** A fresh temporary directory with a SQLite path in it (the file is created by the server). */
export function makeTempStore(name = 'memory.db'): TempStore {
  const dir = mkdtempSync(join(tmpdir(), 'agent-memory-e2e-'));
  tempDirs.push(dir);
  const dbPath = join(dir, name);
  return {
    dir,
    dbPath,
    env: (extra: Env = {}) => ({
      ...baseEnv(),
      MEMORY_BACKEND: 'sqlite',
      SQLITE_PATH: dbPath,
      LOG_LEVEL: 'warn',
      // Keeps a missing SQLITE_PATH from ever touching the real ~/.local/share.
      XDG_DATA_HOME: dir,
      ...extra,
    }),
  };
}

export interface McpConnection {
  client: Client;
  transport: StdioClientTransport;
  pid: number;
  /** Everything the server wrote to stderr so far. */
  stderr(): string;
  /** Errors the client saw (for example a stdout line that is not JSON-RPC). */
  errors: Error[];
  /** Calls a tool; fails the test with the server's stderr if the call itself throws. */
  call(name: string, args?: Record<string, unknown>): Promise<CallToolResult>;
  /** Calls a tool that must succeed and returns its structuredContent. */
  ok<T = Record<string, unknown>>(name: string, args?: Record<string, unknown>): Promise<T>;
  close(): Promise<void>;
}

const connections = new Set<McpConnection>();

/** Spawns `node dist/src/cli.js mcp` with `env` and connects an SDK client over stdio. */
export async function connectMcp(env: Env, opts: { cwd?: string; prefix?: string[] } = {}): Promise<McpConnection> {
  const [command, ...args] = [...(opts.prefix ?? []), process.execPath, CLI, 'mcp'];
  const transport = new StdioClientTransport({
    command: command as string,
    args,
    env,
    cwd: opts.cwd ?? env.XDG_DATA_HOME ?? tmpdir(),
    stderr: 'pipe',
  });
  let stderr = '';
  transport.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString('utf8');
  });
  const client = new Client({ name: 'agent-memory-e2e', version: '0.0.0' });
  const errors: Error[] = [];
  client.onerror = (err) => errors.push(err);
  try {
    await client.connect(transport);
  } catch (err) {
    await transport.close().catch(() => {});
    throw new Error(`MCP server failed to start: ${String(err)}\nstderr:\n${stderr}`);
  }
  // Listing once makes the client validate every structuredContent against the tool's outputSchema.
  await client.listTools();
  const pid = transport.pid;
  if (pid === null) throw new Error('server process has no pid');
  const call = async (name: string, args: Record<string, unknown> = {}) => {
    try {
      return (await client.callTool({ name, arguments: args })) as CallToolResult;
    } catch (err) {
      throw new Error(`${name} threw: ${String(err)}\nserver stderr:\n${stderr}`);
    }
  };
  const conn: McpConnection = {
    client,
    transport,
    pid,
    errors,
    stderr: () => stderr,
    call,
    ok: async <T>(name: string, args: Record<string, unknown> = {}) => {
      const result = await call(name, args);
      if (result.isError) throw new Error(`${name} failed: ${textOf(result)}`);
      if (!result.structuredContent) throw new Error(`${name} returned no structuredContent`);
      return result.structuredContent as T;
    },
    close: async () => {
      connections.delete(conn);
      await client.close();
    },
  };
  connections.add(conn);
  return conn;
}

/** The text content of a tool result, joined. */
export function textOf(result: CallToolResult): string {
  return result.content
    .filter((c): c is { type: 'text'; text: string } => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

/** True while a process with this pid exists. */
export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Waits until the process is gone (or throws after `timeoutMs`). */
export async function waitForExit(pid: number, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (isAlive(pid)) {
    if (Date.now() > until) throw new Error(`process ${pid} still running after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

const children = new Set<ChildProcess>();

/** Runs a command to completion (stdin closed unless `input` is given) and collects its output. */
export function run(
  command: string,
  args: string[],
  env: Env,
  opts: { cwd?: string; input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      env,
      cwd: opts.cwd ?? env.XDG_DATA_HOME ?? tmpdir(),
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    children.add(child);
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`${command} ${args.join(' ')} timed out\nstdout:\n${stdout}\nstderr:\n${stderr}`));
    }, opts.timeoutMs ?? 30_000);
    child.on('error', (err) => {
      clearTimeout(timer);
      children.delete(child);
      reject(err);
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      children.delete(child);
      resolvePromise({ code, signal, stdout, stderr });
    });
    child.stdin.end(opts.input ?? '');
  });
}

/** Runs `node dist/src/cli.js ...args`. */
export function runCli(args: string[], env: Env, opts: { cwd?: string; input?: string; timeoutMs?: number } = {}) {
  return run(process.execPath, [CLI, ...args], env, opts);
}

/** Spawns a long-running child that the cleanup kills if a test leaves it running. */
export function spawnTracked(command: string, args: string[], env: Env, cwd?: string): ChildProcess {
  const child = spawn(command, args, {
    env,
    cwd: cwd ?? env.XDG_DATA_HOME ?? tmpdir(),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  child.on('close', () => children.delete(child));
  return child;
}

/** Closes every client still open, kills leftover children, removes every temporary directory. */
export async function cleanup(): Promise<void> {
  await Promise.all([...connections].map((c) => c.close().catch(() => {})));
  for (const child of children) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  children.clear();
  for (const dir of tempDirs.splice(0)) rmSync(dir, { recursive: true, force: true });
}
