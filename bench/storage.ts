/**
 * `npm run bench -- storage`: bytes on disk per memory and per session message, SQLite file, default embedder.
 * Memories: BENCH_STORAGE_SIZE synthetic facts (default 2000) created through the engine in batches of 500, with
 * and without session ids, and LoCoMo dev's dialogue turns (one memory each, with their session) when the shared
 * data is found; each file measured as the server left it (file and log), after VACUUM, and table by table.
 * Messages: the same turns, and long messages of ten turns each, appended to a session with SQLITE_COMPRESS on and
 * off (the size of the messages table and its index, after VACUUM).
 */
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { loadConfig } from '../src/config.js';
import { openEngine } from '../src/core/engine.js';
import { MemoryMessage } from '../src/models/message.js';
import { openSqliteStore } from '../src/store/sqlite/sqlite-store.js';
import { locomoTurns } from './locomo-turns.js';
import { fmtCount as fmt } from './stats.js';
import { makeFacts } from './synthetic.js';

const dir = mkdtempSync(join(tmpdir(), 'am-bench-storage-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
let files = 0;

const fileBytes = (path: string) => (existsSync(path) ? statSync(path).size : 0);

interface MemoryRow {
  label: string;
  n: number;
  closed: number;
  vacuumed: number;
  parts: { name: string; bytes: number }[];
}

async function memoriesOf(label: string, items: { text: string; session_id?: string }[]): Promise<MemoryRow> {
  const path = join(dir, `memories-${++files}.db`);
  const engine = await openEngine(loadConfig({ SQLITE_PATH: path, LOG_LEVEL: 'silent' }), { autoStartWorker: false });
  for (let i = 0; i < items.length; i += 500) await engine.longTerm.create(items.slice(i, i + 500));
  await engine.close();
  const closed = fileBytes(path) + fileBytes(`${path}-wal`);
  const db = new Database(path);
  try {
    db.pragma('wal_checkpoint(TRUNCATE)');
    db.exec('VACUUM');
    const parts = db
      .prepare('SELECT name, sum(pgsize) AS bytes FROM dbstat GROUP BY name ORDER BY bytes DESC LIMIT 8')
      .all() as { name: string; bytes: number }[];
    return { label, n: items.length, closed, vacuumed: fileBytes(path), parts };
  } finally {
    db.close();
  }
}

async function messagesOf(texts: string[], compress: boolean): Promise<number> {
  const path = join(dir, `messages-${++files}.db`);
  const store = await openSqliteStore({ path, searchThread: false, compress });
  const now = new Date().toISOString();
  // The first append creates the session.
  const key = { session_id: 's', namespace: null, user_id: null };
  for (let i = 0; i < texts.length; i += 100) {
    const batch = texts.slice(i, i + 100).map((content, j) =>
      MemoryMessage.parse({
        id: `m${i + j}`,
        role: 'user',
        content,
        created_at: now,
        persisted_at: null,
        discrete_memory_extracted: 'f',
      }),
    );
    await store.appendMessages(key, batch);
  }
  await store.close();
  const db = new Database(path);
  try {
    db.exec('VACUUM');
    return db
      .prepare(
        "SELECT sum(pgsize) FROM dbstat WHERE name IN ('session_messages', 'sqlite_autoindex_session_messages_1')",
      )
      .pluck()
      .get() as number;
  } finally {
    db.close();
  }
}

export async function measureStorage(size: number): Promise<string> {
  const facts = makeFacts(0, size).map((f) => f.text);
  const turns = locomoTurns();
  const rows = [
    await memoriesOf(
      `${fmt(size)} facts, no session`,
      facts.map((text) => ({ text })),
    ),
    await memoriesOf(
      `${fmt(size)} facts, 20 per session`,
      facts.map((text, i) => ({ text, session_id: `s${Math.floor(i / 20)}` })),
    ),
  ];
  if (turns.length > 0) {
    rows.push(
      await memoriesOf(
        `LoCoMo dev turns (${fmt(turns.length)}), with their session`,
        turns.map((t) => ({ text: t.text, session_id: t.session })),
      ),
    );
  }
  const lines = [
    '| memories | bytes per memory, as closed | after VACUUM | largest parts per memory (after VACUUM) |',
    '|---|---:|---:|---|',
    ...rows.map(
      (r) =>
        `| ${r.label} | ${fmt(r.closed / r.n)} | ${fmt(r.vacuumed / r.n)} | ${r.parts
          .map((p) => `${p.name} ${fmt(p.bytes / r.n)}`)
          .join(', ')} |`,
    ),
  ];
  const dialogue = turns.length > 0 ? turns.map((t) => t.text) : facts;
  const long: string[] = [];
  for (let i = 0; i + 10 <= dialogue.length; i += 10) long.push(dialogue.slice(i, i + 10).join(' '));
  lines.push(
    '',
    '| session messages | count | text bytes each | stored, compressed | stored, SQLITE_COMPRESS=false | ratio |',
    '|---|---:|---:|---:|---:|---:|',
  );
  for (const [label, texts] of [
    [turns.length > 0 ? 'LoCoMo dev turns' : 'synthetic facts', dialogue],
    ['ten of those in one message', long],
  ] as const) {
    const text = texts.reduce((a, t) => a + Buffer.byteLength(t), 0) / texts.length;
    const on = (await messagesOf([...texts], true)) / texts.length;
    const off = (await messagesOf([...texts], false)) / texts.length;
    lines.push(
      `| ${label} | ${fmt(texts.length)} | ${fmt(text)} | ${fmt(on)} | ${fmt(off)} | ${(on / off).toFixed(2)}× |`,
    );
  }
  return lines.join('\n');
}
