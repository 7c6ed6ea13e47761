import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MemoryError } from '../../src/errors.js';
import { openPostgresStore } from '../../src/store/postgres/postgres-store.js';

/**
 * The start-up message when the server lacks pgvector, on a real PostgreSQL: Debian's `postgresql` package (no
 * pgvector), started as a throwaway cluster in a temporary folder. PostgreSQL refuses to run as root, so as root
 * the cluster runs as the `postgres` system user the package creates.
 */
const run = promisify(execFile);

/** The newest /usr/lib/postgresql/<version>/bin holding initdb and postgres, with its major version. */
function findServer(): { bin: string; major: number } | null {
  const base = '/usr/lib/postgresql';
  if (!existsSync(base)) return null;
  const versions = readdirSync(base)
    .filter(
      (v) =>
        /^\d+$/.test(v) && existsSync(join(base, v, 'bin', 'initdb')) && existsSync(join(base, v, 'bin', 'postgres')),
    )
    .sort((a, b) => Number(b) - Number(a));
  return versions[0] ? { bin: join(base, versions[0], 'bin'), major: Number(versions[0]) } : null;
}

/** Whom to run the cluster as: this process, or as root the `postgres` user from /etc/passwd. */
function clusterUser(): { uid: number; gid: number } | null | 'self' {
  if (process.getuid?.() !== 0) return 'self';
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  const [, , uid, gid] = line?.split(':') ?? [];
  return uid && gid ? { uid: Number(uid), gid: Number(gid) } : null;
}

function hasPgvector(bin: string): boolean {
  // Debian keeps the extension files under /usr/share/postgresql/<major>/extension.
  const major = bin.split('/').at(-2);
  return existsSync(`/usr/share/postgresql/${major}/extension/vector.control`);
}

const server = findServer();
const user = clusterUser();
const skipReason = !server
  ? 'no PostgreSQL server binaries under /usr/lib/postgresql/*/bin (apt-get install postgresql)'
  : user === null
    ? 'running as root and there is no postgres user to run the cluster as (PostgreSQL refuses root)'
    : hasPgvector(server.bin)
      ? 'this PostgreSQL has pgvector installed, so its absence cannot be shown'
      : null;
if (skipReason) console.warn(`PostgreSQL missing-extension test skipped: ${skipReason}`);

async function freePort(): Promise<number> {
  const probe = createServer();
  await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
  const { port } = probe.address() as { port: number };
  await new Promise((resolve) => probe.close(resolve));
  return port;
}

(skipReason ? describe.skip : describe)(
  `PostgreSQL without pgvector${skipReason ? ` (skipped: ${skipReason})` : ''}`,
  () => {
    let dir = '';
    let child: ChildProcess | null = null;
    let url = '';
    const ids: { uid?: number; gid?: number } = user !== 'self' && user !== null ? user : {};

    /** Set when the cluster could not be started here (e.g. no shared memory in a sandbox): the tests skip. */
    let cannotStart: string | null = null;

    beforeAll(async () => {
      try {
        await startCluster();
      } catch (err) {
        cannotStart = `the throwaway PostgreSQL cluster did not start: ${err instanceof Error ? err.message : String(err)}`;
        console.warn(`PostgreSQL missing-extension test skipped: ${cannotStart}`);
      }
    });

    async function startCluster(): Promise<void> {
      const { bin } = server!;
      // Under /tmp when the cluster runs as another user: every user can reach it, unlike some TMPDIRs.
      dir = mkdtempSync(join(ids.uid === undefined ? tmpdir() : '/tmp', 'agent-memory-pg-'));
      if (ids.uid !== undefined && ids.gid !== undefined) chownSync(dir, ids.uid, ids.gid);
      const data = join(dir, 'data');
      await run(
        join(bin, 'initdb'),
        ['-D', data, '-U', 'postgres', '-A', 'trust', '--encoding=UTF8', '--locale=C.UTF-8', '--no-sync'],
        { ...ids, cwd: dir },
      );
      const port = await freePort();
      child = spawn(
        join(bin, 'postgres'),
        ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off'],
        { ...ids, cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] },
      );
      // Ready when the server says so on stderr (its log); an early exit fails with what it printed.
      await new Promise<void>((resolve, reject) => {
        let log = '';
        child!.stderr!.on('data', (chunk: Buffer) => {
          log += chunk.toString();
          if (log.includes('database system is ready to accept connections')) resolve();
        });
        child!.on('exit', (code) => reject(new Error(`postgres exited (${code}) before it was ready:\n${log}`)));
      });
      url = `postgres://postgres:not-a-secret@127.0.0.1:${port}/postgres`;
    }

    afterAll(async () => {
      if (child && child.exitCode === null) {
        const exited = new Promise((resolve) => child!.once('exit', resolve));
        child.kill('SIGINT');
        await exited;
      }
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    it('refuses to start, naming pgvector, CREATE EXTENSION vector and how to install it', async (ctx) => {
      ctx.skip(cannotStart !== null, cannotStart ?? '');
      const err = await openPostgresStore({ url }).then(
        () => {
          throw new Error('expected the store to refuse to open');
        },
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(MemoryError);
      const { kind, message } = err as MemoryError;
      expect(kind).toBe('unavailable');
      expect(message).toContain('pgvector');
      expect(message).toContain('CREATE EXTENSION vector');
      expect(message).toContain(`postgresql-${server!.major}-pgvector`);
      expect(message).toContain('pgvector/pgvector');
      // The server is named, its password is not.
      expect(message).toContain('127.0.0.1');
      expect(message).not.toContain('not-a-secret');
    });

    it("tokenises every script's words whole with the simple configuration, as the keyword index does", async (ctx) => {
      ctx.skip(cannotStart !== null, cannotStart ?? '');
      const client = new pg.Client({ connectionString: url });
      await client.connect();
      try {
        const words = ['नमस्ते', 'किताब', 'வணக்கம்', 'புத்தகம்', 'ελληνικά', 'привет', 'مرحبا', 'שָׁלוֹם', 'café'];
        const { rows } = await client.query<{ lexeme: string }>(
          "SELECT lexeme FROM unnest(to_tsvector('simple', $1))",
          [words.join(' ')],
        );
        expect(rows.map((r) => r.lexeme).sort()).toEqual([...words].sort());
      } finally {
        await client.end();
      }
    });
  },
);
