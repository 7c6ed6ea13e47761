import { once } from 'node:events';
import { createReadStream, createWriteStream, existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import type { Engine } from '../core/engine.js';
import { describeZodIssues, invalid } from '../errors.js';
import { MemoryRecord } from '../models/memory-record.js';
import { MemoryMessage } from '../models/message.js';
import { WorkingMemory } from '../models/working-memory.js';
import { ProgressBar } from './progress.js';

const BATCH = 256;
const ArchivedMessages = z.array(MemoryMessage).optional();

/** Writes every memory and session as JSONL: `{"kind":"memory",...}` and `{"kind":"session",...}` lines. */
export async function exportJsonl(
  engine: Engine,
  path: string | null,
): Promise<{ memories: number; sessions: number }> {
  if (path) {
    const folder = dirname(resolve(path));
    if (!existsSync(folder) || !statSync(folder).isDirectory()) {
      throw invalid(`export: the folder ${folder} does not exist; create it first or choose another --output`);
    }
    if (existsSync(path) && statSync(path).isDirectory()) throw invalid(`export: ${path} is a folder; name a file`);
  }
  const out = path ? createWriteStream(path) : process.stdout;
  // A write error (disk full, permission) fails the export with its message instead of crashing the process.
  const failed = new Promise<never>((_, reject) =>
    out.once('error', (err: Error) => reject(invalid(`export: cannot write ${path ?? 'stdout'}: ${err.message}`))),
  );
  failed.catch(() => {});
  const write = async (line: string) => {
    if (!out.write(`${line}\n`)) await Promise.race([once(out, 'drain'), failed]);
  };
  let memories = 0;
  let sessions = 0;
  for await (const m of engine.store.allMemories()) {
    await write(JSON.stringify({ kind: 'memory', ...m }));
    memories++;
  }
  for await (const s of engine.store.allSessions()) {
    const { total_messages: _t, expires_at: _e, ...session } = s;
    await write(JSON.stringify({ kind: 'session', ...session }));
    sessions++;
  }
  if (path) {
    out.end();
    await Promise.race([once(out, 'finish'), failed]);
  }
  return { memories, sessions };
}

/**
 * Reads a JSONL export. Every line is validated before it is written, batch by batch; a bad line stops the import
 * with its line number, after the batches before it were committed whole.
 */
export async function importJsonl(engine: Engine, path: string): Promise<{ memories: number; sessions: number }> {
  if (!existsSync(path)) throw invalid(`import: there is no file ${resolve(path)}`);
  if (statSync(path).isDirectory()) throw invalid(`import: ${path} is a folder; name the .jsonl file an export wrote`);
  const size = statSync(path).size;
  const stream = createReadStream(path, { encoding: 'utf8' });
  const bar = new ProgressBar('import', size);
  let bytes = 0;
  let lineNo = 0;
  let memories = 0;
  let sessions = 0;
  let batch: MemoryRecord[] = [];
  const flush = async () => {
    if (!batch.length) return;
    memories += await engine.longTerm.importRecords(batch);
    batch = [];
  };
  for await (const line of createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY })) {
    lineNo++;
    bytes += Buffer.byteLength(line) + 1;
    if (!line.trim()) continue;
    let obj: { kind?: string };
    try {
      obj = JSON.parse(line);
    } catch {
      throw invalid(`${path}:${lineNo}: not valid JSON`);
    }
    const { kind, ...rest } = obj;
    if (kind === 'memory') {
      const r = MemoryRecord.safeParse(rest);
      if (!r.success) throw invalid(`${path}:${lineNo}: ${describeZodIssues(r.error.issues)}`);
      batch.push(r.data);
      if (batch.length >= BATCH) await flush();
    } else if (kind === 'session') {
      const r = WorkingMemory.safeParse(rest);
      if (!r.success) throw invalid(`${path}:${lineNo}: ${describeZodIssues(r.error.issues)}`);
      // Messages summarized out of the session come back archived, as they were.
      const archived = ArchivedMessages.safeParse((rest as { archived_messages?: unknown }).archived_messages);
      if (!archived.success)
        throw invalid(`${path}:${lineNo}: archived_messages: ${describeZodIssues(archived.error.issues)}`);
      await engine.store.putSession(r.data, { archivedMessages: archived.data });
      sessions++;
    } else {
      throw invalid(`${path}:${lineNo}: expected "kind": "memory" or "session"`);
    }
    bar.update(bytes, `${memories + batch.length} memories, ${sessions} sessions`);
  }
  await flush();
  bar.update(size);
  bar.done(`imported ${memories} memories and ${sessions} sessions`);
  return { memories, sessions };
}
