/**
 * A Redis Cluster for tests: three `redis-server` masters (Debian's package) with cluster mode on, on free loopback
 * ports, their slots assigned and joined with CLUSTER MEET, in a temporary folder that is removed afterwards.
 * Ready once every node reports `cluster_state:ok` and knows the other two.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { track } from './reap.js';
import { findRedisServer } from './redis-server.js';

export interface RedisClusterHarness {
  /** `redis+cluster://127.0.0.1:p1,127.0.0.1:p2,127.0.0.1:p3`, as REDIS_URL takes it. */
  url: string;
  ports: number[];
  stop(): Promise<void>;
}

const SLOTS = 16384;
/** A node's cluster bus listens on its port + 10000. */
const BUS_OFFSET = 10000;

const portFree = (port: number) =>
  new Promise<boolean>((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
  });

/** A free port whose bus port (port + 10000) is free too. */
async function freeClusterPort(taken: Set<number>): Promise<number> {
  for (;;) {
    const port = await new Promise<number>((resolve, reject) => {
      const srv = createServer();
      srv.unref();
      srv.on('error', reject);
      srv.listen(0, '127.0.0.1', () => {
        const { port } = srv.address() as { port: number };
        srv.close(() => resolve(port));
      });
    });
    if (port + BUS_OFFSET > 65535 || taken.has(port) || taken.has(port + BUS_OFFSET)) continue;
    if (await portFree(port + BUS_OFFSET)) return port;
  }
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`${what} within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

export async function startRedisCluster(masters = 3): Promise<RedisClusterHarness> {
  const bin = findRedisServer();
  if (!bin) throw new Error('no redis-server (apt-get install -y redis-server)');
  const dir = mkdtempSync(join(tmpdir(), 'am-redis-cluster-'));
  const taken = new Set<number>();
  const ports: number[] = [];
  for (let i = 0; i < masters; i++) {
    const p = await freeClusterPort(taken);
    taken.add(p).add(p + BUS_OFFSET);
    ports.push(p);
  }
  const children: ChildProcess[] = [];
  const clients: Redis[] = [];
  const stop = async () => {
    for (const c of clients) c.disconnect();
    await Promise.all(
      children.map(
        (c) =>
          new Promise<void>((resolve) => {
            if (c.exitCode !== null || c.signalCode !== null) return resolve();
            c.once('exit', () => resolve());
            c.kill('SIGKILL');
          }),
      ),
    );
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    for (const port of ports) {
      const args = ['--port', String(port), '--bind', '127.0.0.1', '--cluster-enabled', 'yes'];
      args.push('--cluster-config-file', `nodes-${port}.conf`, '--save', '', '--appendonly', 'no');
      const spawned = spawn(bin, args, { cwd: dir, stdio: 'ignore' });
      track(spawned);
      children.push(spawned);
    }
    for (const port of ports) {
      const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0 });
      client.on('error', () => {});
      clients.push(client);
      await until(`redis-server on port ${port} answers`, 10_000, async () => {
        await client.connect().catch(() => {});
        return (await client.ping()) === 'PONG' ? true : undefined;
      });
    }
    // Contiguous, equal shares of the slots, then every node introduced to the first.
    for (const [i, client] of clients.entries()) {
      const from = Math.floor((i * SLOTS) / masters);
      const to = Math.floor(((i + 1) * SLOTS) / masters) - 1;
      await client.call('CLUSTER', 'ADDSLOTSRANGE', from, to);
    }
    for (const port of ports.slice(1)) await clients[0]!.call('CLUSTER', 'MEET', '127.0.0.1', port);
    for (const client of clients) {
      await until('the cluster is formed', 20_000, async () => {
        const info = String(await client.call('CLUSTER', 'INFO'));
        return info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters}`) ? true : undefined;
      });
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { url: `redis+cluster://${ports.map((p) => `127.0.0.1:${p}`).join(',')}`, ports, stop };
}
