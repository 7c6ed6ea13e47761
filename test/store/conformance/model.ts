import { expect, it } from 'vitest';
import { axis, DIM, MODEL, mem, noFilter, unitVector } from '../records.js';
import { rejection, type StoreContext } from './context.js';

export function modelBehaviour(ctx: StoreContext): void {
  it('accepts the recorded model again', async () => {
    await expect(ctx.store.ensureEmbeddingModel(MODEL, DIM)).resolves.toBeUndefined();
  });

  it('rejects another model or dimension, naming both and the re-embed command', async () => {
    const err = await rejection(() => ctx.store.ensureEmbeddingModel('other-model', 16));
    expect(err.kind).toBe('conflict');
    expect(err.message).toContain(`"${MODEL}" (dimension ${DIM})`);
    expect(err.message).toContain('"other-model" (dimension 16)');
    expect(err.message).toContain('agent-memory reembed');
    expect((await rejection(() => ctx.store.ensureEmbeddingModel(MODEL, DIM + 1))).kind).toBe('conflict');
    expect((await rejection(() => ctx.store.ensureEmbeddingModel('other-model', DIM))).kind).toBe('conflict');
  });

  it('re-embeds every memory with the new model and dimension', async () => {
    const texts = Array.from({ length: 300 }, (_, i) => `text ${i}`);
    const items = texts.map((text) => mem({ text, vector: axis(0) }));
    await ctx.store.putMemories(items, { deduplicate: false });
    // New model: dimension 4, and text i points along axis i % 4.
    const embed = async (batch: string[]) => batch.map((t) => axis(Number(t.split(' ')[1]) % 4, 4));
    const progress: [number, number][] = [];
    const count = await ctx.store.reembedAll('model-2', 4, embed, (done, total) => progress.push([done, total]));
    expect(count).toBe(300);
    expect(progress.length).toBeGreaterThan(1);
    expect(progress.at(-1)).toEqual([300, 300]);

    await expect(ctx.store.ensureEmbeddingModel('model-2', 4)).resolves.toBeUndefined();
    expect((await rejection(() => ctx.store.ensureEmbeddingModel(MODEL, DIM))).kind).toBe('conflict');

    const page = await ctx.store.vectorSearch(axis(2, 4), noFilter(), 500, 0.01);
    expect(page.total).toBe(75);
    const got = await ctx.store.getMemories(page.items.map((h) => h.id));
    expect(got.every((r) => Number(r.text.split(' ')[1]) % 4 === 2)).toBe(true);
    // Records themselves are untouched.
    expect(await ctx.store.getMemories([items[0]!.record.id])).toEqual([items[0]!.record]);
    // New writes use the new dimension.
    await ctx.store.putMemories([mem({ vector: unitVector([1, 1], 4) })], { deduplicate: false });
    expect(await ctx.store.countMemories(noFilter())).toBe(301);
  });

  it('re-embeds an empty store', async () => {
    expect(await ctx.store.reembedAll('model-2', 4, async (t) => t.map(() => axis(0, 4)))).toBe(0);
    await expect(ctx.store.ensureEmbeddingModel('model-2', 4)).resolves.toBeUndefined();
  });

  it('keeps the old model working when the embedder fails part way', async () => {
    const items = Array.from({ length: 300 }, (_, i) => mem({ text: `t${i}`, vector: axis(i % 3) }));
    await ctx.store.putMemories(items, { deduplicate: false });
    let calls = 0;
    const failing = async (batch: string[]) => {
      calls += 1;
      if (calls === 2) throw new Error('embedder down');
      return batch.map(() => axis(0, 4));
    };
    await expect(ctx.store.reembedAll('model-2', 4, failing)).rejects.toThrow('embedder down');
    await expect(ctx.store.ensureEmbeddingModel(MODEL, DIM)).resolves.toBeUndefined();
    const page = await ctx.store.vectorSearch(axis(1), noFilter(), 1000, 0.01);
    expect(page.total).toBe(100);
    // And a later attempt succeeds.
    expect(await ctx.store.reembedAll('model-2', 4, async (t) => t.map(() => axis(0, 4)))).toBe(300);
  });
}
