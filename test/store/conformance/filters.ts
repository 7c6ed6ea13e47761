import { beforeEach, describe, expect, it } from 'vitest';
import type { StoreFilter } from '../../../src/models/filters.js';
import { axis, DAY, filter, isoAt, type MemOptions, mem as memWith, T0 } from '../records.js';
import type { StoreContext } from './context.js';

export function filterBehaviour(ctx: StoreContext): void {
  /** Ids selected by the filter; count, list, keyword search and vector search must agree. */
  async function match(f: StoreFilter): Promise<string[]> {
    const page = await ctx.store.listMemories(f, 1000, 0);
    expect(await ctx.store.countMemories(f)).toBe(page.total);
    expect(page.items).toHaveLength(page.total);
    const ids = page.items.map((r) => r.id).sort();
    // Every memory below has the term `common` and the vector axis(0).
    for (const search of [
      ctx.store.keywordSearch(['common'], f, 1000),
      ctx.store.vectorSearch(axis(0), f, 1000),
    ] as const) {
      const hits = await search;
      expect(hits.items.map((h) => h.id).sort()).toEqual(ids);
      expect(hits.total).toBe(ids.length);
    }
    return ids;
  }
  const mem = (opts: MemOptions) => memWith({ terms: 'common', vector: axis(0), ...opts });

  describe('tags', () => {
    beforeEach(async () => {
      await ctx.store.putMemories(
        [
          mem({
            id: 'a',
            namespace: 'ns1',
            user_id: 'u1',
            session_id: 's1',
            memory_type: 'semantic',
            topics: ['food', 'travel'],
            entities: ['alice'],
            extraction_strategy: 'discrete',
          }),
          mem({
            id: 'b',
            namespace: 'ns2',
            user_id: null,
            session_id: 's2',
            memory_type: 'episodic',
            topics: ['food'],
            entities: ['bob', 'alice'],
            extraction_strategy: 'summary',
          }),
          mem({ id: 'c', namespace: null, user_id: 'u2', memory_type: 'message' }),
          mem({ id: 'd', namespace: '50%_off', topics: ['100%_pure', 'travel_tips'] }),
          mem({ id: 'e', namespace: '50abc', topics: ['100abc', 'travelXtips'] }),
        ],
        { deduplicate: false },
      );
    });

    it('eq on single-valued fields', async () => {
      expect(await match(filter({ namespace: { eq: 'ns1' } }))).toEqual(['a']);
      expect(await match(filter({ user_id: { eq: 'u2' } }))).toEqual(['c']);
      expect(await match(filter({ session_id: { eq: 's2' } }))).toEqual(['b']);
      expect(await match(filter({ memory_type: { eq: 'episodic' } }))).toEqual(['b']);
      expect(await match(filter({ extraction_strategy: { eq: 'summary' } }))).toEqual(['b']);
    });

    it('ne on single-valued fields keeps nulls', async () => {
      expect(await match(filter({ namespace: { ne: 'ns1' } }))).toEqual(['b', 'c', 'd', 'e']);
      expect(await match(filter({ user_id: { ne: 'u1' } }))).toEqual(['b', 'c', 'd', 'e']);
      expect(await match(filter({ memory_type: { ne: 'semantic' } }))).toEqual(['b', 'c']);
    });

    it('any on single-valued fields', async () => {
      expect(await match(filter({ namespace: { any: ['ns1', 'ns2', 'nope'] } }))).toEqual(['a', 'b']);
      expect(await match(filter({ memory_type: { any: ['message', 'episodic'] } }))).toEqual(['b', 'c']);
    });

    it('all on single-valued fields: two different values match nothing', async () => {
      expect(await match(filter({ namespace: { all: ['ns1'] } }))).toEqual(['a']);
      expect(await match(filter({ namespace: { all: ['ns1', 'ns1'] } }))).toEqual(['a']);
      expect(await match(filter({ namespace: { all: ['ns1', 'ns2'] } }))).toEqual([]);
    });

    it('startswith on single-valued fields treats % and _ literally', async () => {
      expect(await match(filter({ namespace: { startswith: 'ns' } }))).toEqual(['a', 'b']);
      expect(await match(filter({ namespace: { startswith: '50%' } }))).toEqual(['d']);
      expect(await match(filter({ namespace: { startswith: '50_' } }))).toEqual([]);
      expect(await match(filter({ user_id: { startswith: 'u' } }))).toEqual(['a', 'c']);
    });

    it('eq and ne on multi-valued fields', async () => {
      expect(await match(filter({ topics: { eq: 'food' } }))).toEqual(['a', 'b']);
      expect(await match(filter({ entities: { eq: 'alice' } }))).toEqual(['a', 'b']);
      expect(await match(filter({ topics: { ne: 'food' } }))).toEqual(['c', 'd', 'e']);
      expect(await match(filter({ entities: { ne: 'bob' } }))).toEqual(['a', 'c', 'd', 'e']);
    });

    it('any on multi-valued fields', async () => {
      expect(await match(filter({ topics: { any: ['travel', 'nope'] } }))).toEqual(['a']);
      expect(await match(filter({ entities: { any: ['bob', 'alice'] } }))).toEqual(['a', 'b']);
    });

    it('all on multi-valued fields needs every value (not any)', async () => {
      expect(await match(filter({ topics: { all: ['food', 'travel'] } }))).toEqual(['a']);
      expect(await match(filter({ entities: { all: ['alice', 'bob'] } }))).toEqual(['b']);
      expect(await match(filter({ topics: { all: ['food', 'food'] } }))).toEqual(['a', 'b']);
      expect(await match(filter({ topics: { all: ['food', 'nope'] } }))).toEqual([]);
    });

    it('startswith on multi-valued fields treats % and _ literally', async () => {
      expect(await match(filter({ topics: { startswith: 'trav' } }))).toEqual(['a', 'd', 'e']);
      expect(await match(filter({ topics: { startswith: 'travel_' } }))).toEqual(['d']);
      expect(await match(filter({ topics: { startswith: '100%' } }))).toEqual(['d']);
      expect(await match(filter({ entities: { startswith: 'al' } }))).toEqual(['a', 'b']);
    });

    it('startswith is exact past the search module expansion limit (200 values)', async () => {
      // Redis once stopped a prefix at 200 values and answered 200 for these 250 namespaces and 300 topics.
      await ctx.store.putMemories(
        Array.from({ length: 250 }, (_, i) =>
          mem({ id: `p${i}`, namespace: `pfx-${i}`, topics: [`tp-${i}`, `tp-${i + 250}`] }),
        ),
        { deduplicate: false },
      );
      const ns = await match(filter({ namespace: { startswith: 'pfx-' } }));
      expect(ns).toHaveLength(250);
      expect(await match(filter({ topics: { startswith: 'tp-' } }))).toEqual(ns);
      expect(await match(filter({ namespace: { startswith: 'pfx-1' } }))).toHaveLength(111);
      expect(await match(filter({ namespace: { startswith: 'pfx-x' } }))).toEqual([]);
    });

    it('combines several operators on one field with AND', async () => {
      expect(await match(filter({ topics: { any: ['food'], ne: 'travel' } }))).toEqual(['b']);
      expect(await match(filter({ namespace: { startswith: 'ns', ne: 'ns1' } }))).toEqual(['b']);
    });

    it('combines fields with AND', async () => {
      expect(await match(filter({ namespace: { eq: 'ns2' }, entities: { eq: 'alice' } }))).toEqual(['b']);
      expect(await match(filter({ namespace: { ne: 'ns2' }, entities: { eq: 'alice' } }))).toEqual(['a']);
      expect(
        await match(filter({ user_id: { eq: 'u1' }, topics: { eq: 'food' }, memory_type: { eq: 'episodic' } })),
      ).toEqual([]);
    });

    it('treats filter values as data, never as query syntax', async () => {
      expect(await match(filter({ namespace: { eq: "ns1' OR '1'='1" } }))).toEqual([]);
      expect(await match(filter({ topics: { any: ['") OR 1=1 --'] } }))).toEqual([]);
    });
  });

  describe('times and pinned', () => {
    const at = (d: number) => isoAt(T0 + d * DAY);
    beforeEach(async () => {
      await ctx.store.putMemories(
        [
          mem({ id: 't1', created_at: at(1), updated_at: at(11), last_accessed: at(21), event_date: at(31) }),
          mem({
            id: 't2',
            created_at: at(2),
            updated_at: at(12),
            last_accessed: at(22),
            event_date: at(32),
            pinned: true,
          }),
          mem({ id: 't3', created_at: at(3), updated_at: at(13), last_accessed: at(23), event_date: null }),
        ],
        { deduplicate: false },
      );
    });
    const ms = (d: number) => T0 + d * DAY;

    it('gt, gte, lt, lte, eq, ne on created_at', async () => {
      expect(await match(filter({}, { created_at: { gt: ms(1) } }))).toEqual(['t2', 't3']);
      expect(await match(filter({}, { created_at: { gte: ms(1) } }))).toEqual(['t1', 't2', 't3']);
      expect(await match(filter({}, { created_at: { lt: ms(3) } }))).toEqual(['t1', 't2']);
      expect(await match(filter({}, { created_at: { lte: ms(3) } }))).toEqual(['t1', 't2', 't3']);
      expect(await match(filter({}, { created_at: { eq: ms(2) } }))).toEqual(['t2']);
      expect(await match(filter({}, { created_at: { ne: ms(2) } }))).toEqual(['t1', 't3']);
      expect(await match(filter({}, { created_at: { gte: ms(2), lte: ms(2.5) } }))).toEqual(['t2']);
    });

    it('updated_at and last_accessed are their own columns', async () => {
      expect(await match(filter({}, { updated_at: { gte: ms(12) } }))).toEqual(['t2', 't3']);
      expect(await match(filter({}, { updated_at: { lt: ms(5) } }))).toEqual([]);
      expect(await match(filter({}, { last_accessed: { lte: ms(22) } }))).toEqual(['t1', 't2']);
      expect(await match(filter({}, { last_accessed: { eq: ms(23) } }))).toEqual(['t3']);
    });

    it('a null event_date matches only ne', async () => {
      expect(await match(filter({}, { event_date: { gt: 0 } }))).toEqual(['t1', 't2']);
      expect(await match(filter({}, { event_date: { lt: ms(1000) } }))).toEqual(['t1', 't2']);
      expect(await match(filter({}, { event_date: { gte: ms(31), lte: ms(40) } }))).toEqual(['t1', 't2']);
      expect(await match(filter({}, { event_date: { eq: ms(32) } }))).toEqual(['t2']);
      expect(await match(filter({}, { event_date: { ne: ms(32) } }))).toEqual(['t1', 't3']);
    });

    it('pinned', async () => {
      expect(await match(filter({}, {}, true))).toEqual(['t2']);
      expect(await match(filter({}, {}, false))).toEqual(['t1', 't3']);
    });

    it('combines times, tags and pinned', async () => {
      expect(await match(filter({}, { created_at: { gte: ms(2) }, event_date: { gt: 0 } }))).toEqual(['t2']);
      expect(await match(filter({}, { created_at: { gte: ms(2) } }, false))).toEqual(['t3']);
      expect(await match(filter({ memory_type: { eq: 'semantic' } }, { updated_at: { lt: ms(12) } }))).toEqual(['t1']);
    });
  });

  describe('importance', () => {
    beforeEach(async () => {
      await ctx.store.putMemories(
        [
          mem({ id: 'low', importance: 0.1 }),
          mem({ id: 'mid', importance: 0.5 }),
          mem({ id: 'high', importance: 0.9, pinned: true }),
        ],
        { deduplicate: false },
      );
    });
    const imp = (b: NonNullable<StoreFilter['importance']>, pinned?: boolean): StoreFilter => ({
      ...filter({}, {}, pinned),
      importance: b,
    });

    it('gt, gte, lt, lte, eq, ne, and with pinned and tags', async () => {
      expect(await match(imp({ gt: 0.5 }))).toEqual(['high']);
      expect(await match(imp({ gte: 0.5 }))).toEqual(['high', 'mid']);
      expect(await match(imp({ lt: 0.5 }))).toEqual(['low']);
      expect(await match(imp({ lte: 0.5 }))).toEqual(['low', 'mid']);
      expect(await match(imp({ eq: 0.5 }))).toEqual(['mid']);
      expect(await match(imp({ ne: 0.5 }))).toEqual(['high', 'low']);
      expect(await match(imp({ gte: 0.2, lte: 0.95 }, false))).toEqual(['mid']);
      expect(await match({ ...filter({ memory_type: { eq: 'semantic' } }), importance: { gt: 0.8 } })).toEqual([
        'high',
      ]);
    });
  });
}
