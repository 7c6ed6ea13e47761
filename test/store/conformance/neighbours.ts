import { describe, expect, it } from 'vitest';
import { mem, noFilter } from '../records.js';
import type { StoreContext } from './context.js';

/** The two port methods behind neighbour-context indexing. */
export function neighbourBehaviour(ctx: StoreContext): void {
  describe('session tail and index terms', () => {
    it('returns the newest memories of one exact session, in insertion order', async () => {
      const a = mem({ namespace: 'n', session_id: 's', terms: 'a' });
      const b = mem({ namespace: 'n', session_id: 's', terms: 'b' });
      const c = mem({ namespace: 'n', session_id: 's', terms: 'c' });
      const otherNs = mem({ namespace: 'm', session_id: 's', terms: 'x' });
      const nullNs = mem({ namespace: null, session_id: 's', terms: 'y' });
      await ctx.store.putMemories([a, otherNs, b, nullNs], { deduplicate: false });
      await ctx.store.putMemories([c], { deduplicate: false });
      const tail = await ctx.store.sessionTail('n', 's', 2);
      expect(tail.map((r) => r.id)).toEqual([b.record.id, c.record.id]);
      expect((await ctx.store.sessionTail(null, 's', 5)).map((r) => r.id)).toEqual([nullNs.record.id]);
      expect(await ctx.store.sessionTail('n', 'nope', 5)).toEqual([]);
    });

    it('rewrites keyword terms so the old words no longer match and the new ones do', async () => {
      const m = mem({ terms: 'walrus', contextTerms: '' });
      await ctx.store.putMemories([m, mem({ terms: 'filler one' }), mem({ terms: 'filler two' })], {
        deduplicate: false,
      });
      await ctx.store.setIndexTerms([
        { id: m.record.id, terms: 'walrus', contextTerms: 'penguin' },
        { id: 'missing', terms: 'x', contextTerms: 'y' },
      ]);
      const hits = await ctx.store.keywordSearch(['penguin'], noFilter(), 5);
      expect(hits.items.map((h) => h.id)).toEqual([m.record.id]);
      expect((await ctx.store.keywordSearch(['walrus'], noFilter(), 5)).items).toHaveLength(1);
      await ctx.store.setIndexTerms([{ id: m.record.id, terms: 'seal', contextTerms: '' }]);
      expect((await ctx.store.keywordSearch(['walrus'], noFilter(), 5)).items).toHaveLength(0);
      expect((await ctx.store.keywordSearch(['penguin'], noFilter(), 5)).items).toHaveLength(0);
    });
  });
}
