import { execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';

const CHILDREN = 16;
const PER_CHILD = 50;
const root = fileURLToPath(new URL('../..', import.meta.url));
const fixture = join(root, 'test/store/fixtures/append-child.mjs');
let work: string;
let storeModule: string;

/**
 * The children need the store as plain JS. Only the store's own import graph is compiled, into a private folder
 * inside the project (so `better-sqlite3` resolves), independent of the full build other tests use.
 */
beforeAll(() => {
  const cache = join(root, 'node_modules', '.cache');
  mkdirSync(cache, { recursive: true });
  work = mkdtempSync(join(cache, 'store-multiprocess-'));
  writeFileSync(join(work, 'package.json'), '{"type":"module"}');
  const tsc = join(root, 'node_modules/typescript/bin/tsc');
  const flags = ['--module', 'nodenext', '--moduleResolution', 'nodenext', '--target', 'es2022', '--skipLibCheck'];
  execFileSync(
    process.execPath,
    [tsc, ...flags, '--types', 'node', '--outDir', work, '--rootDir', root, 'src/store/sqlite/sqlite-store.ts'],
    { cwd: root, stdio: 'pipe' },
  );
  storeModule = join(work, 'src/store/sqlite/sqlite-store.js');
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

function runChild(dbPath: string, startAt: number, child: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const proc = spawn(process.execPath, [
      fixture,
      storeModule,
      dbPath,
      String(startAt),
      String(child),
      String(PER_CHILD),
    ]);
    let out = '';
    let err = '';
    proc.stdout.on('data', (d) => {
      out += d;
    });
    proc.stderr.on('data', (d) => {
      err += d;
    });
    proc.on('error', reject);
    proc.on('close', (code) => {
      if (code === 0) resolve((JSON.parse(out) as { appended: number }).appended);
      else reject(new Error(`child ${child} exited with ${code}: ${err}`));
    });
  });
}

async function runAll(dbPath: string): Promise<number[]> {
  const startAt = Date.now() + 2000;
  return Promise.all(Array.from({ length: CHILDREN }, (_, i) => runChild(dbPath, startAt, i)));
}

describe('sqlite store across processes', () => {
  it(`keeps every message when ${CHILDREN} processes append to one session at once`, { timeout: 120_000 }, async () => {
    const dbPath = join(work, 'shared.db');
    // The children also open the brand-new file together, so they race on creating the schema too.
    const appended = await runAll(dbPath);
    expect(appended.reduce((a, b) => a + b, 0)).toBe(CHILDREN * PER_CHILD);

    const store = await openSqliteStore({ path: dbPath });
    try {
      const session = await store.getSession({ session_id: 'shared', namespace: 'mp', user_id: null });
      const ids = session!.messages.map((m) => m.id);
      expect(session!.total_messages).toBe(CHILDREN * PER_CHILD);
      expect(new Set(ids).size).toBe(CHILDREN * PER_CHILD);
      // Each child's messages keep the order it appended them in.
      for (let c = 0; c < CHILDREN; c++) {
        const mine = ids.filter((id) => id.startsWith(`c${c}-`));
        expect(mine).toEqual(Array.from({ length: PER_CHILD }, (_, j) => `c${c}-m${j}`));
      }
      const seqs = (store.db.prepare('SELECT seq FROM session_messages ORDER BY rowid').all() as { seq: number }[]).map(
        (r) => r.seq,
      );
      expect(seqs).toEqual(Array.from({ length: CHILDREN * PER_CHILD }, (_, i) => i + 1));
      expect(session!.version).toBe(CHILDREN * PER_CHILD);
    } finally {
      await store.close();
    }

    // Re-sending every id from every process at once appends nothing.
    expect((await runAll(dbPath)).reduce((a, b) => a + b, 0)).toBe(0);
    const again = await openSqliteStore({ path: dbPath });
    try {
      expect((await again.getSession({ session_id: 'shared' }))!.total_messages).toBe(CHILDREN * PER_CHILD);
    } finally {
      await again.close();
    }
  });
});
