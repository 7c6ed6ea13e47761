import { expect, it } from 'vitest';
import { axis, mem, message, unitVector, workingMemory } from '../records.js';
import type { StoreContext } from './context.js';

export function exportBehaviour(ctx: StoreContext): void {
  it('round-trips cached vectors per model', async () => {
    const v1 = unitVector([1, 2, 3]);
    const v2 = axis(4, 3);
    await ctx.store.putCachedVectors('m1', [
      ['h1', v1],
      ['h2', v2],
    ]);
    await ctx.store.putCachedVectors('m2', [['h1', axis(0)]]);
    const got = await ctx.store.getCachedVectors('m1', ['h1', 'h2', 'missing']);
    expect([...got.keys()].sort()).toEqual(['h1', 'h2']);
    expect(got.get('h1')).toBeInstanceOf(Float32Array);
    expect([...got.get('h1')!]).toEqual([...ctx.stored(v1)]);
    expect([...got.get('h2')!]).toEqual([...ctx.stored(v2)]);
    expect([...(await ctx.store.getCachedVectors('m2', ['h1'])).get('h1')!]).toEqual([...ctx.stored(axis(0))]);
    expect((await ctx.store.getCachedVectors('m3', ['h1'])).size).toBe(0);
    expect((await ctx.store.getCachedVectors('m1', [])).size).toBe(0);
  });

  it('overwrites a cached vector', async () => {
    await ctx.store.putCachedVectors('m', [['h', axis(0)]]);
    await ctx.store.putCachedVectors('m', [['h', axis(1)]]);
    expect([...(await ctx.store.getCachedVectors('m', ['h'])).get('h')!]).toEqual([...ctx.stored(axis(1))]);
  });

  it('streams every memory', async () => {
    const items = Array.from({ length: 1234 }, (_, i) => mem({ text: `memory ${i}` }));
    await ctx.store.putMemories(items, { deduplicate: false });
    const seen = new Map<string, unknown>();
    for await (const record of ctx.store.allMemories()) seen.set(record.id, record);
    expect(seen.size).toBe(1234);
    expect(seen.get(items[1000]!.record.id)).toEqual(items[1000]!.record);
  });

  it('streams every session with all its messages', async () => {
    const ids = Array.from({ length: 230 }, (_, i) => `export-${i}`);
    for (const id of ids) await ctx.store.putSession(workingMemory({ session_id: id }));
    const messages = Array.from({ length: 30 }, () => message());
    await ctx.store.appendMessages({ session_id: ids[7]!, namespace: null, user_id: null }, messages);
    const seen = new Map<string, number>();
    for await (const s of ctx.store.allSessions()) seen.set(s.session_id, s.messages.length);
    expect(seen.size).toBe(230);
    expect(seen.get(ids[7]!)).toBe(30);
  });
}
