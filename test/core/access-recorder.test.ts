import { afterEach, describe, expect, it } from 'vitest';
import { AccessRecorder } from '../../src/core/access-recorder.js';
import { openSqliteStore, type SqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { DIM, MODEL, mem } from '../store/records.js';

let store: SqliteStore | undefined;
afterEach(async () => {
  await store?.close();
  store = undefined;
});

async function withMemories(n: number) {
  store = await openSqliteStore({ path: ':memory:' });
  await store.ensureEmbeddingModel(MODEL, DIM);
  const items = Array.from({ length: n }, () => mem({}));
  await store.putMemories(items, { deduplicate: false });
  return items.map((m) => m.record.id);
}

describe('AccessRecorder', () => {
  it('writes after the current turn, counting every access, with the latest time', async () => {
    const [a, b] = await withMemories(2);
    const access = new AccessRecorder(store!);
    access.record([a!, b!], Date.UTC(2026, 0, 1));
    access.record([a!], Date.UTC(2026, 0, 2));
    access.record([a!], Date.UTC(2026, 0, 3));
    // Nothing written yet: the search that recorded them has not even returned.
    expect((await store!.getMemories([a!]))[0]!.access_count).toBe(0);
    await new Promise((resolve) => setImmediate(resolve));
    await access.flush();
    const [ra, rb] = await store!.getMemories([a!, b!]);
    expect(ra!.access_count).toBe(3);
    expect(rb!.access_count).toBe(1);
    expect(ra!.last_accessed).toBe(new Date(Date.UTC(2026, 0, 3)).toISOString());
  });

  it('flush writes at once what is pending, and a flush with nothing pending is harmless', async () => {
    const [a] = await withMemories(1);
    const access = new AccessRecorder(store!);
    await access.flush();
    access.record([a!], Date.now());
    await access.flush();
    expect((await store!.getMemories([a!]))[0]!.access_count).toBe(1);
    await access.flush();
    expect((await store!.getMemories([a!]))[0]!.access_count).toBe(1);
  });

  it('never fails a read for an access it could not write: it logs and drops it', async () => {
    const [a] = await withMemories(1);
    const access = new AccessRecorder(store!);
    await store!.close();
    access.record([a!], Date.now());
    await expect(access.flush()).resolves.toBeUndefined();
    store = undefined;
  });
});
