/** Importance and pinning in search ranking, through the engine on a SQLite file with the offline embedder. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Engine, openEngine } from '../../src/core/engine.js';

const dir = mkdtempSync(join(tmpdir(), 'agent-memory-importance-'));
let engine: Engine;
const DAY = 86_400_000;
const ago = (days: number) => new Date(Date.now() - days * DAY).toISOString();

beforeAll(async () => {
  engine = await openEngine(
    loadConfig({
      MEMORY_BACKEND: 'sqlite',
      SQLITE_PATH: join(dir, 'm.db'),
      LOG_LEVEL: 'silent',
      EMBEDDING_MODEL: 'offline-hash-v1',
    }),
    { autoStartWorker: false },
  );
  const same = { created_at: ago(30), last_accessed: ago(30) };
  await engine.longTerm.create(
    [
      { id: 'a-minor', text: 'The boiler service is due in October', importance: 0.2, ...same },
      { id: 'b-major', text: 'The boiler service is due in October', importance: 0.9, ...same },
      { id: 'c-old', text: 'The gate code is 4417', created_at: ago(400), last_accessed: ago(400) },
      {
        id: 'd-old-pinned',
        text: 'The gate code is 4417',
        pinned: true,
        created_at: ago(400),
        last_accessed: ago(400),
      },
    ],
    { deduplicate: false },
  );
});
afterAll(async () => {
  await engine?.close();
  rmSync(dir, { recursive: true, force: true });
});

const ids = async (text: string, extra: Record<string, unknown> = {}) =>
  (await engine.longTerm.search({ text, limit: 2, ...extra }, { touch: false })).memories.map((m) => m.id);

describe('ranking with importance and pins', () => {
  it('puts the more important of two equally relevant memories first; weight 0 leaves the id order', async () => {
    expect(await ids('When is the boiler service due?')).toEqual(['b-major', 'a-minor']);
    expect(await ids('When is the boiler service due?', { recency_importance_weight: 0 })).toEqual([
      'a-minor',
      'b-major',
    ]);
  });

  it('keeps a pinned memory fresh however old it is', async () => {
    expect(await ids('What is the gate code?')).toEqual(['d-old-pinned', 'c-old']);
    // Without the recency re-rank, pins do not move anything.
    expect(await ids('What is the gate code?', { recency_boost: false })).toEqual(['c-old', 'd-old-pinned']);
  });

  it('filters by importance', async () => {
    const r = await engine.longTerm.search({ text: 'boiler', importance: { gt: 0.5 } }, { touch: false });
    expect(r.memories.map((m) => m.id)).toEqual(['b-major']);
    const low = await engine.longTerm.search({ text: 'boiler', importance: { lt: 0.5 } }, { touch: false });
    expect(low.memories.map((m) => m.id)).toEqual(['a-minor']);
  });
});
