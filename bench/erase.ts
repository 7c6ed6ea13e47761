/**
 * `npm run bench -- erase`: what erasing a user costs on SQLite. First the price every write pays for
 * `secure_delete` (deleted content overwritten, so an erased user's text leaves no trace in free pages): the same
 * writes on two fresh files, with it off and on, alternating, medians of 7 rounds. Then the time of one erase
 * (a user holding 1% of the memories) at two store sizes: it merges the full-text index and truncates the log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildRecord } from '../src/core/records.js';
import { MemoryRecordInput } from '../src/models/memory-record.js';
import type { IndexedMemory } from '../src/store/port.js';
import { openSqliteStore, type SqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { median } from './stats.js';

const DIM = 384;
const WORDS = 'alpha beta gamma delta epsilon zeta eta theta iota kappa lambda mu nu xi omicron pi rho sigma tau'.split(
  ' ',
);

const text = (i: number, v = 0) =>
  Array.from({ length: 30 }, (_, k) => `${WORDS[(i * 7 + k * 3 + v) % WORDS.length]}${(i + k) % 50}`).join(' ');

function item(i: number, v = 0): IndexedMemory {
  const parsed = MemoryRecordInput.parse({
    id: `m${i}`,
    text: text(i, v),
    user_id: `u${i % 100}`,
    namespace: 'ns',
    topics: ['a'],
    entities: ['X'],
    created_at: 1.7e12 + i,
  });
  const record = { ...buildRecord(parsed, 1.7e12 + i, {}), memory_hash: `h${i}-${v}` };
  const vector = new Float32Array(DIM).map((_, j) => Math.sin(i * 7.1 + j + v));
  return { record, terms: record.text, contextTerms: '', vector };
}

async function fresh(): Promise<{ store: SqliteStore; done: () => Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'am-bench-erase-'));
  const store = await openSqliteStore({ path: join(dir, 'm.db'), dimension: DIM, searchThread: false });
  await store.ensureEmbeddingModel('bench', DIM);
  return {
    store,
    done: async () => {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

const timed = async (fn: () => Promise<unknown>) => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

/** Inserts, access updates, edits and deletes of 3,000 memories, timed per phase. */
async function writes(secure: boolean): Promise<Record<string, number>> {
  const { store, done } = await fresh();
  store.db.pragma(`secure_delete = ${secure ? 'ON' : 'OFF'}`);
  const N = 3000;
  const ids = (n: number, from = 0, step = 1) => Array.from({ length: n }, (_, k) => `m${from + k * step}`);
  const out = {
    insert: await timed(async () => {
      for (let b = 0; b < N; b += 100) {
        await store.putMemories(
          Array.from({ length: 100 }, (_, k) => item(b + k)),
          { deduplicate: false },
        );
      }
    }),
    access: await timed(async () => {
      for (let b = 0; b < N; b += 50) await store.recordAccess(ids(50, b), 1.8e12);
    }),
    edit: await timed(async () => {
      for (let b = 0; b < 1000; b += 100) {
        await store.putMemories(
          Array.from({ length: 100 }, (_, k) => item(b + k, 5)),
          { deduplicate: false },
        );
      }
    }),
    delete: await timed(() => store.deleteMemories(ids(1500, 0, 2))),
  };
  await done();
  return out;
}

export async function measureErase(): Promise<string> {
  const rounds: Record<'on' | 'off', Record<string, number>[]> = { on: [], off: [] };
  for (let r = 0; r < 7; r++) {
    for (const secure of r % 2 ? [true, false] : [false, true])
      rounds[secure ? 'on' : 'off'].push(await writes(secure));
  }
  const lines = ['| writes (3,000 memories) | secure_delete off | on | on / off |', '|---|---|---|---|'];
  for (const phase of ['insert', 'access', 'edit', 'delete']) {
    const off = median(rounds.off.map((x) => x[phase]!));
    const on = median(rounds.on.map((x) => x[phase]!));
    lines.push(`| ${phase} | ${off.toFixed(0)} ms | ${on.toFixed(0)} ms | ${(on / off).toFixed(2)} |`);
  }
  lines.push('', '| memories in the store | erase one user (1% of them), 3 runs |', '|---|---|');
  for (const size of [10_000, 50_000]) {
    const { store, done } = await fresh();
    for (let b = 0; b < size; b += 500) {
      await store.putMemories(
        Array.from({ length: 500 }, (_, k) => item(b + k)),
        { deduplicate: false },
      );
    }
    const times = [];
    for (const user of ['u1', 'u2', 'u3']) times.push(await timed(() => store.eraseUser(user, undefined)));
    lines.push(`| ${size.toLocaleString('en')} | ${times.map((t) => `${t.toFixed(0)} ms`).join(', ')} |`);
    await done();
  }
  return lines.join('\n');
}
