import { expect, it } from 'vitest';
import { axis, isoAt, mem, T0 } from '../records.js';
import type { StoreContext } from './context.js';

/** MemoryStore.writeVersion: what the query cache checks before answering from memory. */
export function writeVersionBehaviour(ctx: StoreContext): void {
  /** Runs `write` and returns whether the version changed, checking it never returns to an earlier value. */
  const seen = new Set<string>();
  const changes = async (write: () => Promise<unknown>) => {
    const before = await ctx.store.writeVersion();
    seen.add(before);
    await write();
    const after = await ctx.store.writeVersion();
    if (after !== before) {
      expect(seen.has(after), `version ${after} came back`).toBe(false);
      seen.add(after);
    }
    return after !== before;
  };

  it('changes with every memory write and with nothing else', async () => {
    seen.clear();
    const a = mem({ text: 'apples', terms: 'appl', namespace: 'ns', user_id: 'u', memory_hash: 'h-a' });
    const b = mem({ text: 'pears', terms: 'pear', namespace: 'ns', user_id: 'u' });
    expect(await changes(() => ctx.store.putMemories([a, b], { deduplicate: false }))).toBe(true);
    const edited = { ...a, record: { ...a.record, text: 'green apples', updated_at: isoAt(T0 + 1) } };
    expect(await changes(() => ctx.store.putMemories([edited], { deduplicate: false }))).toBe(true);
    expect(
      await changes(() => ctx.store.setIndexTerms([{ id: a.record.id, terms: 'green appl', contextTerms: 'fruit' }])),
    ).toBe(true);
    // Re-ranking by access reads access times afresh on every cached answer: they do not invalidate it.
    expect(await changes(() => ctx.store.recordAccess([a.record.id, b.record.id], T0 + 2))).toBe(false);
    expect(await changes(() => ctx.store.getMemories([a.record.id]))).toBe(false);
    expect(await changes(() => ctx.store.keywordSearch(['appl'], { tags: {}, times: {} }, 5))).toBe(false);
    expect(await changes(() => ctx.store.vectorSearch(axis(0), { tags: {}, times: {} }, 5))).toBe(false);
    expect(await changes(() => ctx.store.deleteMemories([b.record.id]))).toBe(true);
    expect(await changes(() => ctx.store.deleteMemories(['never-stored']))).toBe(false);
    expect(await changes(() => ctx.store.eraseUser('u', 'ns'))).toBe(true);
    expect(await ctx.store.getMemories([a.record.id])).toEqual([]);
  });

  it('is a string, read in one call', async () => {
    const v = await ctx.store.writeVersion();
    expect(typeof v).toBe('string');
    await ctx.store.putMemories([mem()], { deduplicate: false });
    expect(await ctx.store.writeVersion()).not.toBe(v);
  });
}
