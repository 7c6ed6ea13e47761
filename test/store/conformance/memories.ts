import { expect, it } from 'vitest';
import { axis, DAY, filter, isoAt, mem, memoryRecord, noFilter, T0 } from '../records.js';
import type { StoreContext } from './context.js';

export function memoryBehaviour(ctx: StoreContext): void {
  const put = (items: Parameters<typeof ctx.store.putMemories>[0], deduplicate = false) =>
    ctx.store.putMemories(items, { deduplicate });

  it('creates new memories and returns them unchanged', async () => {
    const a = mem({
      namespace: 'ns',
      user_id: 'u',
      session_id: 's',
      memory_type: 'episodic',
      topics: ['food', 'travel'],
      entities: ['Alice'],
      event_date: isoAt(T0 - DAY),
      pinned: true,
      importance: 0.9,
      access_count: 3,
      discrete_memory_extracted: 't',
      extraction_strategy: 'custom',
      extraction_strategy_config: { prompt: 'x', depth: 2 },
      extracted_from: ['m1', 'm2'],
      persisted_at: isoAt(T0 + 5),
      metadata: { source: 'test', nested: { ok: true } },
    });
    expect(await put([a])).toEqual([{ status: 'created', id: a.record.id }]);
    expect(await ctx.store.getMemories([a.record.id])).toEqual([a.record]);
  });

  it('keeps an id holding U+001F (a namespace-qualified id) apart from its plain form, in every operation', async () => {
    const plain = mem({ text: 'plain', terms: 'spare keys', namespace: 'B' });
    const qualified = mem({ text: 'qualified', terms: 'spare keys', namespace: 'A' });
    qualified.record.id = `${plain.record.id}\u001f0123456789ab`;
    expect(await put([plain, qualified])).toEqual([
      { status: 'created', id: plain.record.id },
      { status: 'created', id: qualified.record.id },
    ]);
    expect((await ctx.store.getMemories([qualified.record.id]))[0]?.text).toBe('qualified');
    const hits = (await ctx.store.keywordSearch(['spare'], filter({ namespace: { eq: 'A' } }), 10)).items;
    expect(hits.map((h) => h.id)).toEqual([qualified.record.id]);
    expect(await ctx.store.deleteMemories([qualified.record.id])).toBe(1);
    expect((await ctx.store.getMemories([plain.record.id]))[0]?.text).toBe('plain');
  });

  it('overwrites an existing id and reports it as updated', async () => {
    const a = mem({ text: 'before', topics: ['old'] });
    await put([a]);
    const changed = { ...a, record: { ...a.record, text: 'after', topics: ['new'], updated_at: isoAt(T0 + DAY) } };
    expect(await put([changed])).toEqual([{ status: 'updated', id: a.record.id }]);
    expect(await ctx.store.getMemories([a.record.id])).toEqual([changed.record]);
    expect(await ctx.store.countMemories(filter({ topics: { eq: 'old' } }))).toBe(0);
    expect(await ctx.store.countMemories(filter({ topics: { eq: 'new' } }))).toBe(1);
  });

  it('reports an equal memory as a duplicate and writes nothing', async () => {
    const a = mem({ memory_hash: 'h1', namespace: 'ns', user_id: 'u' });
    const b = mem({ memory_hash: 'h1', namespace: 'ns', user_id: 'u' });
    await put([a], true);
    expect(await put([b], true)).toEqual([{ status: 'duplicate', id: b.record.id, existing_id: a.record.id }]);
    expect(await ctx.store.getMemories([b.record.id])).toEqual([]);
    expect(await ctx.store.countMemories(noFilter())).toBe(1);
  });

  it('does not deduplicate when not asked to', async () => {
    await put([mem({ memory_hash: 'h1' })]);
    expect((await put([mem({ memory_hash: 'h1' })], false))[0]!.status).toBe('created');
    expect(await ctx.store.countMemories(noFilter())).toBe(2);
  });

  it('deduplicates within one batch', async () => {
    const a = mem({ memory_hash: 'same' });
    const b = mem({ memory_hash: 'same' });
    expect(await put([a, b], true)).toEqual([
      { status: 'created', id: a.record.id },
      { status: 'duplicate', id: b.record.id, existing_id: a.record.id },
    ]);
  });

  it('scopes deduplication to namespace and user, null included', async () => {
    const base = { memory_hash: 'h' };
    await put([mem({ ...base, namespace: 'ns', user_id: 'u' }), mem({ ...base })], true);
    const outcomes = await put(
      [
        mem({ ...base, namespace: 'other', user_id: 'u' }),
        mem({ ...base, namespace: 'ns', user_id: 'someone-else' }),
        mem({ ...base, namespace: 'ns', user_id: null }),
        mem({ ...base, namespace: null, user_id: 'u' }),
        mem({ ...base, namespace: null, user_id: null }),
      ],
      true,
    );
    expect(outcomes.map((o) => o.status)).toEqual(['created', 'created', 'created', 'created', 'duplicate']);
  });

  it('updates by id even when another memory has the same hash', async () => {
    const a = mem({ memory_hash: 'ha' });
    const b = mem({ memory_hash: 'hb' });
    await put([a, b], true);
    const bWithAHash = { ...b, record: { ...b.record, memory_hash: 'ha' } };
    expect(await put([bWithAHash], true)).toEqual([{ status: 'updated', id: b.record.id }]);
  });

  it('returns outcomes in input order for a mixed batch', async () => {
    const existing = mem({ memory_hash: 'e' });
    await put([existing], true);
    const fresh = mem({ memory_hash: 'f' });
    const dup = mem({ memory_hash: 'e' });
    const outcomes = await put([fresh, existing, dup], true);
    expect(outcomes).toEqual([
      { status: 'created', id: fresh.record.id },
      { status: 'updated', id: existing.record.id },
      { status: 'duplicate', id: dup.record.id, existing_id: existing.record.id },
    ]);
  });

  it('returns records in the order of the ids, leaving out missing ones', async () => {
    const [a, b, c] = [mem(), mem(), mem()];
    await put([a!, b!, c!]);
    const got = await ctx.store.getMemories([c!.record.id, 'missing', a!.record.id, b!.record.id]);
    expect(got.map((r) => r.id)).toEqual([c!.record.id, a!.record.id, b!.record.id]);
    expect(await ctx.store.getMemories([])).toEqual([]);
  });

  it('deletes and counts only what existed', async () => {
    const [a, b, c] = [mem(), mem(), mem()];
    await put([a!, b!, c!]);
    expect(await ctx.store.deleteMemories([a!.record.id, 'missing', b!.record.id])).toBe(2);
    expect(await ctx.store.deleteMemories([a!.record.id])).toBe(0);
    expect((await ctx.store.getMemories([a!.record.id, b!.record.id, c!.record.id])).map((r) => r.id)).toEqual([
      c!.record.id,
    ]);
    expect(await ctx.store.countMemories(noFilter())).toBe(1);
  });

  it('removes deleted memories from every index', async () => {
    const a = mem({ topics: ['gone'], terms: 'zebra', vector: axis(3) });
    await put([a]);
    await ctx.store.deleteMemories([a.record.id]);
    expect((await ctx.store.keywordSearch(['zebra'], noFilter(), 10)).total).toBe(0);
    expect((await ctx.store.vectorSearch(axis(3), noFilter(), 10)).items).toEqual([]);
    expect(await ctx.store.countMemories(filter({ topics: { eq: 'gone' } }))).toBe(0);
  });

  it('lists newest first, then by id, with paging and a total', async () => {
    const at = (d: number, id: string) => mem({ id, created_at: isoAt(T0 + d * DAY) });
    await put([at(1, 'b'), at(3, 'c'), at(1, 'a'), at(2, 'd'), at(0, 'e')]);
    const all = await ctx.store.listMemories(noFilter(), 10, 0);
    expect(all.items.map((r) => r.id)).toEqual(['c', 'd', 'a', 'b', 'e']);
    expect(all.total).toBe(5);
    const page = await ctx.store.listMemories(noFilter(), 2, 2);
    expect(page.items.map((r) => r.id)).toEqual(['a', 'b']);
    expect(page.total).toBe(5);
    expect((await ctx.store.listMemories(noFilter(), 10, 10)).items).toEqual([]);
  });

  it('lists and counts with a filter', async () => {
    await put([mem({ namespace: 'x' }), mem({ namespace: 'x' }), mem({ namespace: 'y' })]);
    const page = await ctx.store.listMemories(filter({ namespace: { eq: 'x' } }), 1, 0);
    expect(page.items).toHaveLength(1);
    expect(page.items[0]!.namespace).toBe('x');
    expect(page.total).toBe(2);
    expect(await ctx.store.countMemories(filter({ namespace: { eq: 'y' } }))).toBe(1);
  });

  it('records access: count + 1 and last_accessed per id', async () => {
    const [a, b] = [mem({ access_count: 2 }), mem()];
    await put([a!, b!]);
    const at = T0 + 7 * DAY;
    await ctx.store.recordAccess([a!.record.id, 'missing'], at);
    await ctx.store.recordAccess([a!.record.id], at + 1);
    const [ra, rb] = await ctx.store.getMemories([a!.record.id, b!.record.id]);
    expect(ra!.access_count).toBe(4);
    expect(ra!.last_accessed).toBe(isoAt(at + 1));
    expect(rb!.access_count).toBe(0);
    expect(rb!.last_accessed).toBe(memoryRecord().last_accessed);
  });
}
