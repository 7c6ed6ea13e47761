import { beforeEach, describe, expect, it } from 'vitest';
import { spatialBounds } from '../../../src/core/filters.js';
import type { AgentStoreFilter, StoreFilter } from '../../../src/models/filters.js';
import { axis, type MemOptions, mem as memWith, noFilter } from '../records.js';
import type { StoreContext } from './context.js';

/** The attribute paths the conformance stores are opened with (each store indexes exactly these). */
export const CONFORMANCE_ATTRIBUTE_PATHS = ['content.health', 'content.mood', 'content.alive', 'metadata.team'];

const agentFilter = (agent: AgentStoreFilter, rest: Partial<StoreFilter> = {}): StoreFilter => ({
  ...noFilter(),
  ...rest,
  agent,
});

/**
 * Agent memories (issue 15): the agent fields round-trip, and every agent filter (agent, step range, circle and
 * box, attributes on declared paths) runs in the store, alone or combined, with the same answer from listing,
 * counting, keyword and vector search.
 */
export function agentBehaviour(ctx: StoreContext): void {
  async function match(f: StoreFilter): Promise<string[]> {
    const page = await ctx.store.listMemories(f, 1000, 0);
    expect(await ctx.store.countMemories(f)).toBe(page.total);
    expect(page.items).toHaveLength(page.total);
    const ids = page.items.map((r) => r.id).sort();
    for (const search of [ctx.store.keywordSearch(['common'], f, 1000), ctx.store.vectorSearch(axis(0), f, 1000)]) {
      const hits = await search;
      expect(hits.items.map((h) => h.id).sort()).toEqual(ids);
      expect(hits.total).toBe(ids.length);
    }
    return ids;
  }
  const mem = (opts: MemOptions) => memWith({ terms: 'common', vector: axis(0), ...opts });

  beforeEach(async () => {
    await ctx.store.putMemories(
      [
        mem({
          id: 's1',
          memory_type: 'state',
          agent_id: 'a1',
          step_number: 1,
          location: { x: 0, y: 0 },
          importance: 0.2,
          content: { health: 0.9, mood: 'calm', alive: true },
          metadata: { team: 'red' },
        }),
        mem({
          id: 's2',
          memory_type: 'state',
          agent_id: 'a1',
          step_number: 5,
          location: { x: 3, y: 4 },
          importance: 0.6,
          content: { health: 0.4, mood: 'angry', alive: true },
          metadata: { team: 'red' },
        }),
        mem({
          id: 's3',
          memory_type: 'state',
          agent_id: 'a2',
          step_number: 10,
          location: { x: -2.5, y: 7.25 },
          importance: 0.8,
          content: { health: 0.1, mood: 'calm', alive: false },
          metadata: { team: 'blue' },
        }),
        mem({
          id: 'x1',
          memory_type: 'action',
          agent_id: 'a2',
          step_number: 11,
          location: { x: 100, y: 100 },
          importance: 0.5,
          content: { action_type: 'trade', health: 'n/a' },
        }),
        mem({
          id: 'g1',
          memory_type: 'interaction',
          agent_id: 'b7',
          step_number: 3,
          location: { lat: 38.7223, lon: -9.1393 }, // Lisbon
          importance: 0.9,
          content: { mood: 'happy' },
        }),
        mem({
          id: 'g2',
          memory_type: 'interaction',
          agent_id: 'b7',
          step_number: 4,
          location: { lat: 41.1579, lon: -8.6291 }, // Porto, ~274 km north
          importance: 0.3,
        }),
        mem({ id: 'plain', memory_type: 'semantic', importance: 0.7 }),
      ],
      { deduplicate: false },
    );
  });

  it('round-trips the agent fields, and leaves them off other memories', async () => {
    const [s2, g1, plain] = await ctx.store.getMemories(['s2', 'g1', 'plain']);
    expect(s2).toMatchObject({
      memory_type: 'state',
      agent_id: 'a1',
      step_number: 5,
      location: { x: 3, y: 4 },
      content: { health: 0.4, mood: 'angry', alive: true },
    });
    expect(g1!.location).toEqual({ lat: 38.7223, lon: -9.1393 });
    expect(plain).not.toHaveProperty('agent_id');
    expect(plain).not.toHaveProperty('step_number');
    expect(plain).not.toHaveProperty('location');
    expect(plain).not.toHaveProperty('content');
  });

  it('filters by agent and by type', async () => {
    expect(await match(agentFilter({ agent_id: { eq: 'a1' } }))).toEqual(['s1', 's2']);
    expect(await match(agentFilter({ agent_id: { any: ['a2', 'b7'] } }))).toEqual(['g1', 'g2', 's3', 'x1']);
    expect(await match(agentFilter({ agent_id: { ne: 'a1' } }))).toEqual(['g1', 'g2', 'plain', 's3', 'x1']);
    expect(await match(agentFilter({ agent_id: { startswith: 'a' } }))).toEqual(['s1', 's2', 's3', 'x1']);
    expect(await match({ ...noFilter(), tags: { memory_type: { eq: 'interaction' } } })).toEqual(['g1', 'g2']);
  });

  it('filters step ranges', async () => {
    expect(await match(agentFilter({ step: { gte: 3, lte: 10 } }))).toEqual(['g1', 'g2', 's2', 's3']);
    expect(await match(agentFilter({ step: { gt: 3, lt: 10 } }))).toEqual(['g2', 's2']);
    expect(await match(agentFilter({ step: { eq: 11 } }))).toEqual(['x1']);
    // A memory without a step is kept by `ne`, as null is by the other range filters.
    expect(await match(agentFilter({ step: { ne: 1 } }))).toEqual(['g1', 'g2', 'plain', 's2', 's3', 'x1']);
    expect(await match(agentFilter({ agent_id: { eq: 'a2' }, step: { lte: 10 } }))).toEqual(['s3']);
  });

  it('filters a circle exactly, its edge included, and a box with its edges', async () => {
    const circle = (x: number, y: number, radius: number) => spatialBounds({ within: { x, y, radius } });
    // (3, 4) is exactly 5 from the origin.
    expect(await match(agentFilter({ spatial: circle(0, 0, 5) }))).toEqual(['s1', 's2']);
    expect(await match(agentFilter({ spatial: circle(0, 0, 4.999) }))).toEqual(['s1']);
    // (-2.5, 7.25) is in the circle's box around (0, 0) of radius 7.7 but not in the circle.
    expect(await match(agentFilter({ spatial: circle(0, 0, 7.6) }))).toEqual(['s1', 's2']);
    expect(await match(agentFilter({ spatial: circle(0, 0, 7.7) }))).toEqual(['s1', 's2', 's3']);
    const box = spatialBounds({ box: { min_x: -2.5, min_y: 0, max_x: 3, max_y: 7.25 } });
    expect(await match(agentFilter({ spatial: box }))).toEqual(['s1', 's2', 's3']);
    const narrow = spatialBounds({ box: { min_x: -1, min_y: 0.5, max_x: 3, max_y: 4 } });
    expect(await match(agentFilter({ spatial: narrow }))).toEqual(['s2']);
    expect(await match(agentFilter({ spatial: circle(1000, 1000, 1) }))).toEqual([]);
  });

  it('filters places on the Earth by great-circle distance, and never mixes the two kinds', async () => {
    const near = (radius_m: number) => spatialBounds({ within: { lat: 38.7223, lon: -9.1393, radius_m } });
    expect(await match(agentFilter({ spatial: near(10_000) }))).toEqual(['g1']);
    expect(await match(agentFilter({ spatial: near(250_000) }))).toEqual(['g1']);
    expect(await match(agentFilter({ spatial: near(300_000) }))).toEqual(['g1', 'g2']);
    const box = spatialBounds({ box: { min_lat: 40, min_lon: -10, max_lat: 42, max_lon: -8 } });
    expect(await match(agentFilter({ spatial: box }))).toEqual(['g2']);
    // A planar box over the same numbers finds no place.
    const planar = spatialBounds({ box: { min_x: -10, min_y: 38, max_x: -8, max_y: 42 } });
    expect(await match(agentFilter({ spatial: planar }))).toEqual([]);
  });

  it('filters declared attributes: numbers, strings, booleans, ne and any', async () => {
    const attr = (path: string, cond: object) => agentFilter({ attributes: [{ path, cond }] });
    expect(await match(attr('content.health', { lt: 0.5 }))).toEqual(['s2', 's3']);
    expect(await match(attr('content.health', { gte: 0.4 }))).toEqual(['s1', 's2']);
    expect(await match(attr('content.health', { gt: 0.4, lte: 0.9 }))).toEqual(['s1']);
    // A string value is not a number: no range matches it, `ne` on a number keeps it.
    expect(await match(attr('content.health', { eq: 'n/a' }))).toEqual(['x1']);
    expect(await match(attr('content.health', { ne: 0.9 }))).toEqual(['g1', 'g2', 'plain', 's2', 's3', 'x1']);
    expect(await match(attr('content.mood', { eq: 'calm' }))).toEqual(['s1', 's3']);
    expect(await match(attr('content.mood', { any: ['angry', 'happy'] }))).toEqual(['g1', 's2']);
    expect(await match(attr('content.mood', { ne: 'calm' }))).toEqual(['g1', 'g2', 'plain', 's2', 'x1']);
    expect(await match(attr('content.alive', { eq: false }))).toEqual(['s3']);
    expect(await match(attr('content.alive', { eq: true }))).toEqual(['s1', 's2']);
    expect(await match(attr('metadata.team', { eq: 'red' }))).toEqual(['s1', 's2']);
    expect(await match(attr('content.health', { any: [0.1, 'n/a'] }))).toEqual(['s3', 'x1']);
  });

  it('combines every filter in one query with a true total', async () => {
    const f = agentFilter(
      {
        agent_id: { any: ['a1', 'a2'] },
        step: { gte: 1, lte: 10 },
        spatial: spatialBounds({ within: { x: 0, y: 0, radius: 8 } }),
        attributes: [{ path: 'content.health', cond: { lt: 0.95 } }],
      },
      { importance: { gte: 0.5 }, tags: { memory_type: { eq: 'state' } } },
    );
    expect(await match(f)).toEqual(['s2', 's3']);
    const page = await ctx.store.listMemories(f, 1, 0);
    expect(page.items).toHaveLength(1);
    expect(page.total).toBe(2);
  });

  it('orders listings by importance and by step', async () => {
    const ids = async (order: 'importance' | 'step_number' | 'step_number_asc') =>
      (await ctx.store.listMemories(agentFilter({ agent_id: { any: ['a1', 'a2'] } }), 10, 0, { order })).items.map(
        (r) => r.id,
      );
    expect(await ids('importance')).toEqual(['s3', 's2', 'x1', 's1']);
    expect(await ids('step_number')).toEqual(['x1', 's3', 's2', 's1']);
    expect(await ids('step_number_asc')).toEqual(['s1', 's2', 's3', 'x1']);
    const top = await ctx.store.listMemories(noFilter(), 2, 0, { order: 'importance' });
    expect(top.items.map((r) => r.id)).toEqual(['g1', 's3']);
  });

  describe('after writes', () => {
    it('an overwrite moves or drops the location, step and attributes; a delete leaves the spatial index', async () => {
      const circle = agentFilter({ spatial: spatialBounds({ within: { x: 0, y: 0, radius: 5 } }) });
      await ctx.store.putMemories(
        [
          mem({ id: 's1', memory_type: 'state', agent_id: 'a1', location: { x: 50, y: 50 } }),
          mem({ id: 's2', memory_type: 'state' }),
        ],
        { deduplicate: false },
      );
      expect(await match(circle)).toEqual([]);
      expect(await match(agentFilter({ agent_id: { eq: 'a1' } }))).toEqual(['s1']);
      expect(await match(agentFilter({ step: { gte: 0 } }))).toEqual(['g1', 'g2', 's3', 'x1']);
      expect(await match(agentFilter({ attributes: [{ path: 'metadata.team', cond: { eq: 'red' } }] }))).toEqual([]);
      expect(await match(agentFilter({ spatial: spatialBounds({ within: { x: 50, y: 50, radius: 0 } }) }))).toEqual([
        's1',
      ]);
      await ctx.store.deleteMemories(['s1']);
      expect(
        await match(
          agentFilter({ spatial: spatialBounds({ box: { min_x: -1e9, min_y: -1e9, max_x: 1e9, max_y: 1e9 } }) }),
        ),
      ).toEqual(['s3', 'x1']);
    });
  });
}
