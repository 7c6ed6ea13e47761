/**
 * Helpers for the HTTP tests: a real server on a loopback port chosen by the OS, over a real SQLite file in a
 * temporary directory, and small fetch wrappers.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TokenStore } from '../../src/auth/token-store.js';
import { loadConfig, loadHttpConfig } from '../../src/config.js';
import { type Engine, type EngineOptions, openEngine } from '../../src/core/engine.js';
import { type RunningServer, startHttpServer } from '../../src/http/server.js';

export interface TestServer extends RunningServer {
  /** The engine behind the server, for what REST does not show (running due background tasks). */
  engine: Engine;
  dir: string;
  dbPath: string;
  tokens?: TokenStore;
  stop(): Promise<void>;
}

/**
 * Starts `agent-memory api` in-process; `env` holds HTTP and engine settings (AUTH_MODE, RATE_LIMIT_PER_MINUTE,
 * OPENAI_API_BASE, …); `engineOptions.autoStartWorker: false` leaves background tasks to `engine.runBackgroundTasks`.
 */
export async function startServer(
  env: Record<string, string> = {},
  engineOptions: EngineOptions = {},
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'agent-memory-http-'));
  const dbPath = join(dir, 'memory.db');
  const config = loadConfig({ MEMORY_BACKEND: 'sqlite', SQLITE_PATH: dbPath, LOG_LEVEL: 'warn', ...env });
  const http = loadHttpConfig({ PORT: '0', API_HOST: '127.0.0.1', ...env });
  const tokens = http.auth.mode === 'token' ? new TokenStore(dbPath) : undefined;
  const engine = await openEngine(config, engineOptions);
  const server = await startHttpServer(engine, http, { tokens });
  return {
    ...server,
    engine,
    dir,
    dbPath,
    tokens,
    async stop() {
      await server.close(2_000);
      tokens?.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

// biome-ignore lint/suspicious/noExplicitAny: tests read response bodies ad hoc; a wrong field fails the assertion.
export interface JsonResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

/** One JSON request; the body is parsed when it is JSON, else kept as text. */
// biome-ignore lint/suspicious/noExplicitAny: see JsonResponse.
export async function call<T = any>(
  base: string,
  method: string,
  path: string,
  opts: { body?: unknown; token?: string; headers?: Record<string, string>; raw?: string } = {},
): Promise<JsonResponse<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.body !== undefined || opts.raw !== undefined) headers['Content-Type'] ??= 'application/json';
  if (opts.token) headers.Authorization = `Bearer ${opts.token}`;
  const res = await fetch(base + path, {
    method,
    headers,
    body: opts.raw ?? (opts.body === undefined ? undefined : JSON.stringify(opts.body)),
  });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = text ? JSON.parse(text) : null;
  } catch {}
  return { status: res.status, headers: res.headers, body: body as T };
}

export const memory = (id: string, text: string, extra: Record<string, unknown> = {}) => ({ id, text, ...extra });
