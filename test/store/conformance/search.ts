import { describe, expect, it } from 'vitest';
import { cosineDistance } from '../../../src/util/cosine.js';
import { axis, DAY, filter, isoAt, mem, noFilter, T0, unitVector } from '../records.js';
import type { StoreContext } from './context.js';

/** Unrelated documents, so that BM25's inverse document frequency of the tested terms is positive. */
const filler = (n: number) => Array.from({ length: n }, (_, i) => mem({ terms: `filler${i} noise`, vector: axis(7) }));

export function searchBehaviour(ctx: StoreContext): void {
  const put = (items: Parameters<typeof ctx.store.putMemories>[0]) =>
    ctx.store.putMemories(items, { deduplicate: false });

  describe('keyword', () => {
    it('gives a keyword ceiling that a memory holding every term once reaches, and rarer terms raise', async () => {
      expect(await ctx.store.keywordCeiling(['apple'])).toBe(0);
      const full = mem({ terms: 'apple cherry' });
      await put([full, mem({ terms: 'cherry tart' }), mem({ terms: 'cherry jam' }), ...filler(12)]);
      const rare = await ctx.store.keywordCeiling(['apple']);
      const common = await ctx.store.keywordCeiling(['cherry']);
      expect(rare).toBeGreaterThan(common);
      expect(common).toBeGreaterThan(0);
      const both = await ctx.store.keywordCeiling(['apple', 'cherry']);
      expect(both).toBeCloseTo(rare + common, 6);
      expect(await ctx.store.keywordCeiling([])).toBe(0);
      // The memory with both terms scores about the ceiling (its length is near the average).
      const hit = (await ctx.store.keywordSearch(['apple', 'cherry'], noFilter(), 1)).items[0]!;
      expect(hit.id).toBe(full.record.id);
      expect(hit.score / both).toBeGreaterThan(0.6);
      expect(hit.score / both).toBeLessThan(1.6);
    });

    it('ranks a memory with more query terms above one with fewer, and leaves out non-matches', async () => {
      const both = mem({ terms: 'apple cherry pie' });
      const one = mem({ terms: 'cherry tart' });
      const none = mem({ terms: 'banana bread' });
      await put([one, none, both, ...filler(6)]);
      const page = await ctx.store.keywordSearch(['apple', 'cherry'], noFilter(), 10);
      expect(page.items.map((h) => h.id)).toEqual([both.record.id, one.record.id]);
      expect(page.items[0]!.score).toBeGreaterThan(page.items[1]!.score);
      expect(page.items[1]!.score).toBeGreaterThan(0);
      expect(page.total).toBe(2);
    });

    it('honours the filter and counts only filtered matches', async () => {
      await put([
        mem({ namespace: 'x', terms: 'kiwi' }),
        mem({ namespace: 'y', terms: 'kiwi' }),
        mem({ namespace: 'y', terms: 'kiwi kiwi' }),
        ...filler(6),
      ]);
      const page = await ctx.store.keywordSearch(['kiwi'], filter({ namespace: { eq: 'y' } }), 10);
      expect(page.items).toHaveLength(2);
      expect(page.total).toBe(2);
      const records = await ctx.store.getMemories(page.items.map((h) => h.id));
      expect(records.every((r) => r.namespace === 'y')).toBe(true);
    });

    it('finds words of any script, combining marks included, filtered or not', async () => {
      // Devanagari and Tamil vowel signs are combining marks: escaping them once made Redis match nothing.
      const words = ['नमस्ते', 'किताब', 'வணக்கம்', 'புத்தகம்', 'ελληνικά', 'привет', 'مرحبا', 'שָׁלוֹם', 'café', '«quoted»'];
      await put([
        ...words.map((w, i) => mem({ id: `w${i}`, namespace: 'scripts', terms: `${w} shared` })),
        ...filler(6),
      ]);
      for (const [i, w] of words.entries()) {
        for (const f of [noFilter(), filter({ namespace: { eq: 'scripts' } })]) {
          const page = await ctx.store.keywordSearch([w], f, 10);
          expect(
            page.items.map((h) => h.id),
            w,
          ).toEqual([`w${i}`]);
        }
      }
    });

    it('returns at most k hits while total counts every match', async () => {
      await put([mem({ terms: 'plum' }), mem({ terms: 'plum' }), mem({ terms: 'plum' }), ...filler(6)]);
      const page = await ctx.store.keywordSearch(['plum'], noFilter(), 2);
      expect(page.items).toHaveLength(2);
      expect(page.total).toBe(3);
    });

    it('weighs context terms by contextWeight', async () => {
      const inTerms = mem({ terms: 'mango other', contextTerms: 'other words' });
      const inContext = mem({ terms: 'other words', contextTerms: 'mango other' });
      await put([inTerms, inContext, ...filler(6)]);
      const order = async (contextWeight?: number) =>
        (
          await ctx.store.keywordSearch(
            ['mango'],
            noFilter(),
            10,
            contextWeight === undefined ? undefined : { contextWeight },
          )
        ).items.map((h) => h.id);
      expect(await order()).toEqual([inTerms.record.id, inContext.record.id]);
      expect(await order(0.5)).toEqual([inTerms.record.id, inContext.record.id]);
      expect(await order(3)).toEqual([inContext.record.id, inTerms.record.id]);
    });

    it('finds nothing for an empty term list', async () => {
      await put([mem({ terms: 'anything' })]);
      expect(await ctx.store.keywordSearch([], noFilter(), 10)).toEqual({ items: [], total: 0 });
    });

    it('treats query syntax characters in terms as plain text', async () => {
      await put([mem({ terms: 'quote' }), ...filler(3)]);
      for (const term of ['"', 'a"b', 'NOT', 'x OR y', '*', '(', 'col:val']) {
        await expect(ctx.store.keywordSearch([term], noFilter(), 10)).resolves.toBeDefined();
      }
    });

    it('counts only the hits returned when asked not to count', async () => {
      await put([mem({ terms: 'plum' }), mem({ terms: 'plum' }), mem({ terms: 'plum' }), ...filler(6)]);
      const page = await ctx.store.keywordSearch(['plum'], noFilter(), 2, { count: false });
      expect(page.items).toHaveLength(2);
      expect(page.total).toBe(2);
      expect(
        (await ctx.store.keywordSearch(['plum'], filter({ namespace: { eq: 'x' } }), 2, { count: false })).total,
      ).toBe(0);
    });

    it('ranks the same with a namespace filter every memory passes', async () => {
      // Texts of different lengths, so no two scores tie.
      const items = Array.from({ length: 12 }, (_, i) => mem({ namespace: 'all', terms: `pear ${'x '.repeat(i)}` }));
      await put(items);
      const plain = await ctx.store.keywordSearch(['pear'], noFilter(), 5);
      const ns = await ctx.store.keywordSearch(['pear'], filter({ namespace: { eq: 'all' } }), 5);
      expect(ns).toEqual(plain);
      expect(ns.total).toBe(12);
    });

    it('ranks the same with a several-clause filter every memory passes, context matches included', async () => {
      // Some memories match one word in terms and another, far away, in context.
      const items = Array.from({ length: 10 }, (_, i) =>
        mem({
          namespace: 'all',
          user_id: 'u',
          topics: ['t'],
          pinned: false,
          terms: `${i % 2 ? 'pear' : 'fig'} ${'x '.repeat(i)}`,
          contextTerms: i % 3 ? `${'y '.repeat(i)} fig` : 'other',
        }),
      );
      await put([...items, ...filler(4)]);
      const f = filter(
        { namespace: { eq: 'all' }, user_id: { any: ['u', 'v'] }, topics: { all: ['t'] }, memory_type: { ne: 'x' } },
        { created_at: { gte: 0 } },
        false,
      );
      for (const terms of [['pear'], ['pear', 'fig']]) {
        const plain = await ctx.store.keywordSearch(terms, noFilter(), 6);
        expect(await ctx.store.keywordSearch(terms, f, 6)).toEqual(plain);
      }
    });

    it('searches the latest terms after an update', async () => {
      const a = mem({ terms: 'walnut' });
      await put([a, ...filler(3)]);
      await put([{ ...a, terms: 'pecan' }]);
      expect((await ctx.store.keywordSearch(['walnut'], noFilter(), 10)).total).toBe(0);
      expect((await ctx.store.keywordSearch(['pecan'], noFilter(), 10)).items.map((h) => h.id)).toEqual([a.record.id]);
    });
  });

  describe('vector', () => {
    it('returns the nearest first with cosine distances', async () => {
      const same = mem({ vector: axis(0) });
      const close = mem({ vector: unitVector([0.9, 0.1]) });
      const orthogonal = mem({ vector: axis(1) });
      const opposite = mem({ vector: unitVector([-1]) });
      await put([orthogonal, opposite, same, close]);
      const page = await ctx.store.vectorSearch(axis(0), noFilter(), 10);
      expect(page.items.map((h) => h.id)).toEqual([
        same.record.id,
        close.record.id,
        orthogonal.record.id,
        opposite.record.id,
      ]);
      const d = page.items.map((h) => h.distance);
      expect(d[0]).toBeCloseTo(0, 5);
      expect(d[2]).toBeCloseTo(1, 5);
      expect(d[3]).toBeCloseTo(2, 5);
      expect(page.total).toBe(4);
    });

    it("gives the query's similarity to every filtered memory when asked, and distances to chosen memories", async () => {
      const vectors = Array.from({ length: 40 }, (_, i) => unitVector([Math.cos(i), Math.sin(i), (i % 7) / 7]));
      const inside = vectors.map((v, i) => mem({ namespace: i % 4 === 0 ? 'other' : 'mine', vector: v }));
      await put(inside);
      const q = unitVector([1, 0.3, 0.2]);
      const cos = (v: Float32Array) => 1 - cosineDistance(ctx.stored(q), ctx.stored(v));
      const mine = vectors.filter((_, i) => i % 4 !== 0).map(cos);
      const mean = mine.reduce((a, x) => a + x, 0) / mine.length;
      const sd = Math.sqrt(mine.reduce((a, x) => a + (x - mean) ** 2, 0) / mine.length);
      const page = await ctx.store.vectorSearch(q, filter({ namespace: { eq: 'mine' } }), 5, undefined, {
        similarity: true,
      });
      expect(page.items).toHaveLength(5);
      expect(page.similarity?.n).toBe(30);
      expect(page.similarity?.mean).toBeCloseTo(mean, 4);
      expect(page.similarity?.sd).toBeCloseTo(sd, 4);
      // Not asked, not given; and the hits are the same either way.
      const plain = await ctx.store.vectorSearch(q, filter({ namespace: { eq: 'mine' } }), 5);
      expect(plain.similarity).toBeUndefined();
      expect(plain.items).toEqual(page.items);
      expect(
        (await ctx.store.vectorSearch(q, filter({ namespace: { eq: 'none' } }), 5, undefined, { similarity: true }))
          .similarity,
      ).toBeUndefined();

      const chosen = [inside[3]!, inside[8]!];
      const d = await ctx.store.vectorDistances(q, [...chosen.map((m) => m.record.id), 'no-such-memory']);
      expect([...d.keys()].sort()).toEqual(chosen.map((m) => m.record.id).sort());
      expect(d.get(inside[3]!.record.id)).toBeCloseTo(1 - cos(vectors[3]!), 4);
      expect(await ctx.store.vectorDistances(q, [])).toEqual(new Map());
    });

    it('breaks distance ties by id, across the k-th place too', async () => {
      const tied = ['m', 'c', 'x', 'a'].map((id) => mem({ id, namespace: 'n', vector: axis(1) }));
      const nearest = mem({ id: 'z', namespace: 'n', vector: axis(0) });
      await put([...tied, nearest, mem({ namespace: 'n', vector: unitVector([-1]) })]);
      for (const f of [noFilter(), filter({ namespace: { eq: 'n' } })]) {
        for (const similarity of [false, true]) {
          const ids = async (k: number) =>
            (await ctx.store.vectorSearch(axis(0), f, k, undefined, { similarity })).items.map((h) => h.id);
          expect(await ids(3)).toEqual(['z', 'a', 'c']);
          expect(await ids(5)).toEqual(['z', 'a', 'c', 'm', 'x']);
        }
      }
    });

    it('returns at most k hits', async () => {
      await put([mem({ vector: axis(0) }), mem({ vector: axis(1) }), mem({ vector: axis(2) })]);
      const page = await ctx.store.vectorSearch(axis(0), noFilter(), 2);
      expect(page.items).toHaveLength(2);
      expect(page.total).toBe(3);
    });

    it('honours the filter even when its memories are the farthest', async () => {
      const near = Array.from({ length: 20 }, () => mem({ namespace: 'near', vector: axis(0) }));
      const far = [mem({ namespace: 'far', vector: axis(5) }), mem({ namespace: 'far', vector: unitVector([-1]) })];
      await put([...near, ...far]);
      const page = await ctx.store.vectorSearch(axis(0), filter({ namespace: { eq: 'far' } }), 5);
      expect(page.items.map((h) => h.id).sort()).toEqual(far.map((m) => m.record.id).sort());
      expect(page.total).toBe(2);
      const other = await ctx.store.vectorSearch(axis(0), filter({ namespace: { ne: 'near' } }, {}, false), 5);
      expect(other.items.map((h) => h.id).sort()).toEqual(far.map((m) => m.record.id).sort());
    });

    it('honours tag, time and pinned filters', async () => {
      const tagged = mem({ topics: ['t'], vector: axis(1) });
      const pinned = mem({ pinned: true, vector: axis(2) });
      await put([tagged, pinned, mem({ vector: axis(0) })]);
      const byTopic = await ctx.store.vectorSearch(axis(0), filter({ topics: { eq: 't' } }), 5);
      expect(byTopic.items.map((h) => h.id)).toEqual([tagged.record.id]);
      const byPinned = await ctx.store.vectorSearch(axis(0), filter({}, {}, true), 5);
      expect(byPinned.items.map((h) => h.id)).toEqual([pinned.record.id]);
    });

    it('drops hits beyond maxDistance and counts only those within', async () => {
      const a = mem({ vector: axis(0) });
      const b = mem({ vector: unitVector([1, 1]) }); // distance ~0.29
      const c = mem({ vector: axis(1) }); // distance 1
      await put([a, b, c]);
      const page = await ctx.store.vectorSearch(axis(0), noFilter(), 10, 0.5);
      expect(page.items.map((h) => h.id)).toEqual([a.record.id, b.record.id]);
      expect(page.total).toBe(2);
      const one = await ctx.store.vectorSearch(axis(0), noFilter(), 1, 0.5);
      expect(one.items.map((h) => h.id)).toEqual([a.record.id]);
      expect(one.total).toBe(2);
      const filtered = await ctx.store.vectorSearch(axis(0), filter({ namespace: { eq: 'none' } }), 10, 0.5);
      expect(filtered).toEqual({ items: [], total: 0 });
    });

    it('agrees between the unfiltered and a filtered path', async () => {
      const items = Array.from({ length: 30 }, (_, i) =>
        mem({ vector: unitVector([Math.cos(i), Math.sin(i), i / 30]) }),
      );
      await put(items);
      const q = unitVector([1, 0.2, 0.1]);
      const plain = await ctx.store.vectorSearch(q, noFilter(), 10);
      const filtered = await ctx.store.vectorSearch(q, filter({}, {}, false), 10);
      expect(filtered.items.map((h) => h.id)).toEqual(plain.items.map((h) => h.id));
      for (const [i, h] of filtered.items.entries()) expect(h.distance).toBeCloseTo(plain.items[i]!.distance, 6);
    });

    it('finds the nearest among many, filtered or not', async () => {
      const items = Array.from({ length: 300 }, (_, i) =>
        mem({ namespace: i % 3 ? 'many' : 'few', vector: unitVector([Math.cos(i), Math.sin(i), Math.cos(i / 7)]) }),
      );
      await put(items);
      const q = unitVector([1, 0.3, 0.5]);
      const exact = (ns?: string) =>
        items
          .filter((m) => ns === undefined || m.record.namespace === ns)
          .map((m) => ({ id: m.record.id, d: cosineDistance(ctx.stored(q), ctx.stored(m.vector)) }))
          .sort((a, b) => a.d - b.d);
      for (const ns of [undefined, 'many', 'few']) {
        const page = await ctx.store.vectorSearch(q, filter(ns ? { namespace: { eq: ns } } : {}), 5);
        expect(page.total).toBe(exact(ns).length);
        expect(page.items.map((h) => h.distance)).toEqual(
          exact(ns)
            .slice(0, 5)
            .map((e) => expect.closeTo(e.d, 5)),
        );
      }
    });

    it('searches the latest vector after an update', async () => {
      const a = mem({ vector: axis(0) });
      await put([a, mem({ vector: axis(1) })]);
      await put([{ ...a, vector: axis(2) }]);
      const page = await ctx.store.vectorSearch(axis(2), noFilter(), 1);
      expect(page.items[0]!.id).toBe(a.record.id);
      expect(page.items[0]!.distance).toBeCloseTo(0, 5);
    });
  });

  describe('hit times', () => {
    it('carry the memory times in epoch ms, importance and pin, or none at all, and follow recorded access', async () => {
      const a = mem({
        terms: 'fig',
        created_at: isoAt(T0 + DAY),
        last_accessed: isoAt(T0 + 2 * DAY),
        importance: 0.75,
        pinned: true,
        vector: axis(0),
      });
      await put([a, ...filler(3)]);
      const check = async (lastAccessedMs: number) => {
        const hits = [
          (await ctx.store.keywordSearch(['fig'], noFilter(), 5)).items[0]!,
          (await ctx.store.keywordSearch(['fig'], filter({}, {}, true), 5)).items[0]!,
          (await ctx.store.vectorSearch(axis(0), noFilter(), 1)).items[0]!,
          (await ctx.store.vectorSearch(axis(0), noFilter(), 1, 0.5)).items[0]!,
        ];
        for (const h of hits) {
          expect(h.id).toBe(a.record.id);
          if (h.createdMs === undefined && h.lastAccessedMs === undefined) continue;
          expect(h.createdMs).toBe(T0 + DAY);
          expect(h.lastAccessedMs).toBe(lastAccessedMs);
          expect(h.importance).toBe(0.75);
          expect(h.pinned).toBe(true);
        }
      };
      await check(T0 + 2 * DAY);
      await ctx.store.recordAccess([a.record.id], T0 + 5 * DAY);
      await check(T0 + 5 * DAY);
    });
  });
}
