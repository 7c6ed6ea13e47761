import { createHash } from 'node:crypto';
import { chmodSync, existsSync, readdirSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI, cleanup, connectMcp, makeTempStore, run, textOf } from '../helpers/spawn.js';

/**
 * A database this process may read but not write, as on read-only media. Root writes anything, so as root the
 * commands run without the capabilities that let it ignore file permissions (util-linux setpriv).
 */
const PREFIX =
  process.getuid?.() === 0 ? ['setpriv', '--bounding-set', '-dac_override,-dac_read_search,-fowner', '--'] : [];

const FACTS = ['Alice keeps the spare keys under the blue flower pot', 'Bob parks his bicycle in the courtyard'];

// SQLite may add its -shm (and an empty -wal) beside a read-only file in a writable folder: the database is what
// must not change.
const digest = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

const inPlace = makeTempStore();
const onReadOnlyFolder = makeTempStore();

async function fill(store: ReturnType<typeof makeTempStore>) {
  const mcp = await connectMcp(store.env());
  await mcp.ok('create_long_term_memories', { memories: FACTS.map((text) => ({ text })) });
  await mcp.close();
}

beforeAll(async () => {
  await Promise.all([fill(inPlace), fill(onReadOnlyFolder)]);
  // A file without write permission in a writable folder: SQLite can still make its -shm file beside it.
  chmodSync(inPlace.dbPath, 0o444);
  // A read-only folder: not even the -shm file can be created there.
  for (const f of readdirSync(onReadOnlyFolder.dir)) chmodSync(join(onReadOnlyFolder.dir, f), 0o444);
  chmodSync(onReadOnlyFolder.dir, 0o555);
});

afterAll(async () => {
  chmodSync(onReadOnlyFolder.dir, 0o755);
  await cleanup();
});

const cli = (store: ReturnType<typeof makeTempStore>, args: string[]) =>
  run(
    PREFIX[0] ?? process.execPath,
    [...PREFIX.slice(1), ...(PREFIX.length ? [process.execPath] : []), CLI, ...args],
    store.env(),
  );

describe.each([
  ['a read-only file', inPlace],
  ['a read-only folder', onReadOnlyFolder],
])('a database in %s', (_, store) => {
  it('is searched and exported, saying at start that it is read-only', async () => {
    const before = digest(store.dbPath);
    const search = await cli(store, ['search', 'where are the spare keys', '--json']);
    expect(search.code, search.stderr).toBe(0);
    const hits = JSON.parse(search.stdout) as { memories: { text: string }[] };
    expect(hits.memories[0]?.text).toBe(FACTS[0]);
    expect(search.stderr).toMatch(/is open read-only .*search, list, get and export work, writes are refused/);

    const exported = await cli(store, ['export']);
    expect(exported.code, exported.stderr).toBe(0);
    const lines = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { kind: string; text?: string });
    expect(
      lines
        .filter((l) => l.kind === 'memory')
        .map((l) => l.text)
        .sort(),
    ).toEqual([...FACTS].sort());
    expect(digest(store.dbPath)).toBe(before);
  });

  it('serves MCP searches, and refuses writes with a message saying why and what to do', async () => {
    const mcp = await connectMcp(store.env(), { prefix: PREFIX });
    try {
      const found = await mcp.ok<{ memories: { text: string }[] }>('search_memory', { query: 'bicycle' });
      expect(found.memories[0]?.text).toBe(FACTS[1]);
      const write = await mcp.call('create_long_term_memories', { memories: [{ text: 'Carol likes tea' }] });
      expect(write.isError).toBe(true);
      expect(textOf(write)).toMatch(/is open read-only .*To write, give this user write access/);
      expect(mcp.stderr()).not.toMatch(/SqliteError|at .*\.js:\d+/);
    } finally {
      await mcp.close();
    }
    expect(existsSync(store.dbPath)).toBe(true);
    // The snapshot copy a read-only folder needs is gone with the server.
    await expect.poll(() => readdirSync(tmpdir()).filter((f) => f.startsWith('agent-memory-readonly-'))).toEqual([]);
  });
});
