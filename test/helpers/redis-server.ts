/**
 * A Redis for tests. With REDIS_URL set, tests use that server (and never stop it). Otherwise this starts
 * `redis-server` (Debian's package: found on PATH or in /usr/bin) on a free loopback port, with no persistence,
 * loading the module at REDIS_SEARCH_MODULE when given, and stops it afterwards. Without either, Redis tests skip.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { Redis } from 'ioredis';
import { track } from './reap.js';

export interface RedisHarness {
  url: string;
  /** True when the server has the search module (RediSearch / Redis 8 Query Engine). */
  hasSearch: boolean;
  /** True when this harness started the server (so it can kill and restart it). */
  owned: boolean;
  /** Kills the server abruptly (SIGKILL), keeping its port. Only for servers this harness started. */
  kill(): Promise<void>;
  /** Starts the server again on the same port. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

export function findRedisServer(): string | null {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/bin', '/usr/local/bin'];
  for (const dir of dirs) {
    const candidate = join(dir, 'redis-server');
    if (dir && existsSync(candidate)) return candidate;
  }
  return null;
}

/** Why Redis tests skip, or null when a Redis is available. */
export function redisUnavailableReason(): string | null {
  if (process.env.REDIS_URL || findRedisServer()) return null;
  return 'no Redis for tests: set REDIS_URL, or install redis-server (apt-get install -y redis-server)';
}

const freePort = () =>
  new Promise<number>((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });

async function ping(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => {});
    try {
      await client.connect();
      await client.ping();
      return;
    } catch (err) {
      if (Date.now() > deadline) throw new Error(`redis-server did not answer at ${url}: ${(err as Error).message}`);
      await new Promise((r) => setTimeout(r, 50));
    } finally {
      client.disconnect();
    }
  }
}

export async function hasSearchModule(url: string): Promise<boolean> {
  const client = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0 });
  client.on('error', () => {});
  try {
    await client.connect();
    await client.call('FT._LIST');
    return true;
  } catch {
    return false;
  } finally {
    client.disconnect();
  }
}

export async function startRedis(): Promise<RedisHarness> {
  const external = process.env.REDIS_URL;
  if (external) {
    await ping(external, 5_000);
    const noop = async () => {
      throw new Error('cannot kill or restart a Redis given by REDIS_URL');
    };
    return {
      url: external,
      hasSearch: await hasSearchModule(external),
      owned: false,
      kill: noop,
      restart: noop,
      stop: async () => {},
    };
  }
  const bin = findRedisServer();
  if (!bin) throw new Error(redisUnavailableReason()!);
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no'];
  const module = process.env.REDIS_SEARCH_MODULE;
  if (module) args.push('--loadmodule', module);
  let child: ChildProcess | undefined;
  let output = '';
  const start = async () => {
    const spawned = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child = spawned;
    track(spawned);
    child.stdout?.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
    });
    child.stderr?.on('data', (d: Buffer) => {
      output = (output + d.toString()).slice(-4000);
    });
    try {
      await ping(url, 10_000);
    } catch (err) {
      throw new Error(`${(err as Error).message}\n${output}`);
    }
  };
  const kill = async () => {
    const c = child;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGKILL');
    });
  };
  await start();
  return { url, hasSearch: await hasSearchModule(url), owned: true, kill, restart: start, stop: kill };
}
