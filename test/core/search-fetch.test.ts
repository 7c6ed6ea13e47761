import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Engine, openEngine } from '../../src/core/engine.js';
import type { MemoryRecordResults } from '../../src/models/memory-record.js';
import type { HitTimes, KeywordHit, VectorHit } from '../../src/store/port.js';

let engine: Engine;

beforeEach(async () => {
  engine = await openEngine(loadConfig({ MEMORY_BACKEND: 'memory', LOG_LEVEL: 'silent' }));
  const people = ['Alice', 'Bob', 'Chen', 'Dana'];
  const things = ['a red bicycle', 'sushi in Osaka', 'a jazz record', 'the art museum', 'sourdough bread'];
  await engine.longTerm.create(
    Array.from({ length: 120 }, (_, i) => ({
      text: `${people[i % 4]} talked about ${things[i % 5]} (note ${i})`,
      namespace: i % 2 ? 'a' : 'b',
    })),
  );
});
afterEach(async () => {
  await engine.close();
});

const queries = ['What did Alice say about sushi?', 'jazz record', 'Dana bread museum'];

describe('long-term search fetches records', () => {
  it('for the returned page only, in every mode', async () => {
    const get = vi.spyOn(engine.store, 'getMemories');
    for (const search_mode of ['hybrid', 'keyword', 'semantic'] as const) {
      get.mockClear();
      const r = await engine.longTerm.search(
        { text: 'sushi Osaka', search_mode, limit: 5, offset: 3 },
        { touch: false },
      );
      expect(r.memories).toHaveLength(5);
      expect(get.mock.calls.flatMap(([ids]) => ids)).toEqual(r.memories.map((m) => m.id));
    }
  });

  it('for every candidate, with the same results, when the store gives hits without times', async () => {
    const before: MemoryRecordResults[] = [];
    for (const text of queries)
      for (const namespace of [undefined, 'a']) {
        for (const search_mode of ['hybrid', 'keyword', 'semantic'] as const) {
          before.push(await engine.longTerm.search({ text, namespace, search_mode }, { touch: false }));
        }
      }
    const strip = <T extends HitTimes>({ createdMs: _, lastAccessedMs: __, ...hit }: T) => hit;
    const store = engine.store;
    const keyword = store.keywordSearch.bind(store);
    const vector = store.vectorSearch.bind(store);
    vi.spyOn(store, 'keywordSearch').mockImplementation(async (...args) => {
      const page = await keyword(...args);
      return { ...page, items: page.items.map(strip) as KeywordHit[] };
    });
    vi.spyOn(store, 'vectorSearch').mockImplementation(async (...args) => {
      const page = await vector(...args);
      return { ...page, items: page.items.map(strip) as VectorHit[] };
    });
    const after: MemoryRecordResults[] = [];
    for (const text of queries)
      for (const namespace of [undefined, 'a']) {
        for (const search_mode of ['hybrid', 'keyword', 'semantic'] as const) {
          after.push(await engine.longTerm.search({ text, namespace, search_mode }, { touch: false }));
        }
      }
    // Scores move with the clock (recency); the ranking does not.
    const ranking = (rs: MemoryRecordResults[]) => rs.map((r) => [r.memories.map((m) => m.id), r.total, r.next_offset]);
    expect(ranking(after)).toEqual(ranking(before));
  });

  it('skips a memory deleted between the search and the fetch, filling the page from the next', async () => {
    const full = await engine.longTerm.search({ text: 'sushi Osaka', limit: 6 }, { touch: false });
    const gone = full.memories[1]!.id;
    const get = engine.store.getMemories.bind(engine.store);
    let first = true;
    vi.spyOn(engine.store, 'getMemories').mockImplementation(async (ids) => {
      if (first) {
        first = false;
        await engine.store.deleteMemories([gone]);
      }
      return get(ids);
    });
    const r = await engine.longTerm.search({ text: 'sushi Osaka', limit: 5 }, { touch: false });
    expect(r.memories.map((m) => m.id)).toEqual(full.memories.map((m) => m.id).filter((id) => id !== gone));
  });
});
