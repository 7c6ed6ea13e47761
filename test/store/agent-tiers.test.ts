import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type AgentItem, agentStats, storeAgentMemories } from '../../src/core/agent-memory.js';
import { textFromContent } from '../../src/core/agent-records.js';
import { type Engine, openEngine } from '../../src/core/engine.js';
import { COMPRESSED_KEY } from '../../src/models/agent.js';
import type { MemoryRecord } from '../../src/models/memory-record.js';
import { freshSchema, harness as pg } from './postgres-helpers.js';
import { freshPrefix, noRedis, noSearch, harness as redis } from './redis-helpers.js';

/**
 * Tiers of agent memories (issue 15) on every store: maintenance keeps the STM and IM limits, moves memories and
 * never loses one, LTM keeps a short text and compressed content, a detailed read restores the full content and
 * brings the memory back up, and filters on declared attributes see every tier.
 */
const dir = mkdtempSync(join(tmpdir(), 'agent-memory-tiers-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const AGENTS = ['scout', 'trader'];
const STEPS = 200;
const health = (agent: string, step: number) => Math.round(((step * 37 + agent.length * 11) % 100) / 10) / 10;
const contentOf = (agent: string, step: number) => ({
  position: [step % 17, (step * 3) % 23],
  health: health(agent, step),
  inventory: { wood: step % 5, stone: (step * 7) % 3 },
  note: `walked past the ${['river', 'mill', 'forest', 'quarry'][step % 4]} and counted ${step} sheep on the way`,
});

let k = 0;
const settings = {
  EMBEDDING_MODEL: 'offline-hash-v1',
  RELATED_WORDS: 'false',
  LOG_LEVEL: 'silent',
  AGENT_ATTRIBUTE_PATHS: 'content.health',
  AGENT_STM_MAX_COUNT: '50',
  AGENT_IM_MAX_COUNT: '120',
  AGENT_LTM_TEXT_CHARS: '40',
  AGENT_PROMOTE_READS: '3',
  AGENT_TIER_MAINTENANCE_EVERY_MINUTES: '0',
  COMPACTION_EVERY_MINUTES: '0',
};

const BACKENDS: { name: string; skip?: string; env: () => Record<string, string> }[] = [
  { name: 'sqlite', env: () => ({ SQLITE_PATH: join(dir, `tiers-${++k}.db`) }) },
  {
    name: 'redis',
    skip: noRedis ?? noSearch,
    env: () => ({ MEMORY_BACKEND: 'redis', REDIS_URL: redis?.url ?? '', REDIS_KEY_PREFIX: freshPrefix() }),
  },
  {
    name: 'postgres',
    env: () => ({
      MEMORY_BACKEND: 'postgres',
      DATABASE_URL: pg.url,
      POSTGRES_SCHEMA: freshSchema(),
      POSTGRES_POOL_SIZE: '1',
    }),
  },
];

for (const backend of BACKENDS) {
  describe.skipIf(backend.skip !== undefined)(`agent memory tiers on ${backend.name}`, () => {
    let engine: Engine;
    const ids = new Map<string, string>();
    afterAll(async () => engine?.close());

    const search = (body: Record<string, unknown>) =>
      engine.longTerm.search({ text: '', limit: 100, ...body }, { touch: false });
    const total = async (body: Record<string, unknown>) => (await search({ ...body, limit: 1 })).total;
    const tierOf = async (id: string) => (await engine.longTerm.get(id)).memory_tier;

    it('stores every new agent memory in STM, counted from its own step', async () => {
      engine = await openEngine(loadConfig({ ...settings, ...backend.env() }));
      const items: AgentItem[] = AGENTS.flatMap((agent) =>
        Array.from({ length: STEPS }, (_, step) => ({
          kind: 'state' as const,
          agent_id: agent,
          record: { step_number: step, content: contentOf(agent, step) },
        })),
      );
      for (let i = 0; i < items.length; i += 100) {
        const res = await storeAgentMemories(engine.longTerm, items.slice(i, i + 100));
        res.memories.forEach((m, j) => {
          const item = items[i + j]!;
          ids.set(`${item.agent_id}:${item.record.step_number}`, m.id);
        });
      }
      expect(await total({ memory_tiers: ['stm'] })).toBe(400);
      const one = await engine.longTerm.get(ids.get('scout:7')!);
      expect(one).toMatchObject({ memory_tier: 'stm', tier_step: 7, content: contentOf('scout', 7) });
    });

    it('keeps the STM and IM limits and loses nothing (count before = count after)', async () => {
      const report = await engine.agentTiers.maintain({});
      expect(report).toMatchObject({
        agents: 2,
        moved: { stm_to_im: 300, im_to_ltm: 60 },
        before: { stm: 400, im: 0, ltm: 0 },
        after: { stm: 100, im: 240, ltm: 60 },
        stopped: false,
      });
      expect(await total({})).toBe(400);
      for (const agent of AGENTS) {
        const stm = await search({ agent_id: { eq: agent }, memory_tiers: ['stm'], order_by: 'step_number_asc' });
        expect(stm.total).toBe(50);
        // The latest steps stay in detail; the oldest are in LTM.
        expect(stm.memories.map((m) => m.step_number)).toEqual(Array.from({ length: 50 }, (_, i) => 150 + i));
        const ltm = await search({ agent_id: { eq: agent }, memory_tiers: ['ltm'], order_by: 'step_number_asc' });
        expect(ltm.memories.map((m) => m.step_number)).toEqual(Array.from({ length: 30 }, (_, i) => i));
        expect(await total({ agent_id: { eq: agent }, memory_tiers: ['im'] })).toBe(120);
      }
      const stats = await agentStats(engine.longTerm, 'scout');
      expect(stats.memory_tier_distribution).toEqual({ stm: 50, im: 120, ltm: 30 });
      // The store's byte count is that of the records it returns, in their stored (compressed) form.
      let bytes = 0;
      for (let offset = 0; offset < STEPS; offset += 100) {
        for (const m of (await search({ agent_id: { eq: 'scout' }, offset })).memories) {
          bytes += Buffer.byteLength(m.text) + (m.content ? Buffer.byteLength(JSON.stringify(m.content)) : 0);
        }
      }
      expect(stats.content_bytes).toBe(bytes);
      // A second pass finds nothing to move.
      expect((await engine.agentTiers.maintain({})).moved).toEqual({ stm_to_im: 0, im_to_ltm: 0 });
    });

    it('keeps LTM compressed with a short text, and declared attributes in clear in every tier', async () => {
      const ltm = await engine.longTerm.get(ids.get('trader:3')!);
      expect(ltm.memory_tier).toBe('ltm');
      expect(ltm.text.length).toBeLessThanOrEqual(41);
      expect(Object.keys(ltm.content ?? {}).sort()).toEqual([COMPRESSED_KEY, 'health'].sort());
      const im = await engine.longTerm.get(ids.get('trader:100')!);
      expect(im.memory_tier).toBe('im');
      expect(im.text).toContain('sheep');
      expect(im.content?.inventory).toBeUndefined();
      for (const agent of AGENTS) {
        const want = Array.from({ length: STEPS }, (_, s) => s).filter((s) => health(agent, s) < 0.35);
        const got = await search({
          agent_id: { eq: agent },
          attributes: { 'content.health': { lt: 0.35 } },
          order_by: 'step_number_asc',
          limit: 100,
        });
        expect(got.total).toBe(want.length);
        expect(got.memories.map((m) => m.step_number)).toEqual(want.slice(0, 100));
      }
    });

    it('finds an LTM memory by the meaning of its full text', async () => {
      const ltmId = ids.get('scout:12')!;
      expect(await tierOf(ltmId)).toBe('ltm');
      const full = textFromContent('state', { agent_id: 'scout', step_number: 12, content: contentOf('scout', 12) });
      const res = await engine.longTerm.search(
        { text: full, search_mode: 'semantic', memory_tiers: ['ltm'], limit: 3 },
        { touch: false },
      );
      expect(res.memories[0]?.id).toBe(ltmId);
    });

    it('restores the full content on a detailed read and brings the memory back up', async () => {
      const id = ids.get('scout:5')!;
      const detailed: MemoryRecord = await engine.agentTiers.readDetailed(id);
      expect(detailed.content).toEqual(contentOf('scout', 5));
      expect(detailed.text).toContain('counted 5 sheep');
      expect(detailed.memory_tier).toBe('im');
      expect(await tierOf(id)).toBe('im');
      // Read often enough, an IM memory returns to STM.
      const imId = ids.get('scout:60')!;
      expect(await tierOf(imId)).toBe('im');
      await engine.agentTiers.readDetailed(imId);
      await engine.agentTiers.readDetailed(imId);
      expect(await tierOf(imId)).toBe('im');
      const third = await engine.agentTiers.readDetailed(imId);
      expect(third.memory_tier).toBe('stm');
      expect((await engine.longTerm.get(imId)).content).toEqual(contentOf('scout', 60));
      expect(await total({})).toBe(400);
      // Promoted memories count from the agent's latest step: the next pass keeps them where they are.
      await engine.agentTiers.maintain({ agent_id: 'scout' });
      expect(await tierOf(imId)).toBe('stm');
      expect(await tierOf(id)).toBe('im');
      expect(await total({ agent_id: { eq: 'scout' }, memory_tiers: ['stm'] })).toBe(50);
      expect(await total({})).toBe(400);
    });

    it('dedups a re-stored state against its compressed copy, and an edit returns a memory to full detail', async () => {
      const again = await storeAgentMemories(engine.longTerm, [
        { kind: 'state', agent_id: 'trader', record: { step_number: 4, content: contentOf('trader', 4) } },
      ]);
      expect(again.memories[0]).toMatchObject({ outcome: 'duplicate', id: ids.get('trader:4') });
      const id = ids.get('trader:8')!;
      expect(await tierOf(id)).toBe('ltm');
      const edited = await engine.longTerm.edit(id, { importance: 0.9 });
      expect(edited).toMatchObject({ memory_tier: 'stm', importance: 0.9, content: contentOf('trader', 8) });
      expect(await total({})).toBe(400);
    });

    it('refuses a content that uses the reserved key, and a tier that does not exist', async () => {
      await expect(
        storeAgentMemories(engine.longTerm, [
          { kind: 'state', agent_id: 'x', record: { step_number: 1, content: { [COMPRESSED_KEY]: 'abc' } } },
        ]),
      ).rejects.toThrow(/reserved/);
      await expect(search({ memory_tiers: ['mtm'] })).rejects.toThrow(/memory_tiers/);
      await expect(engine.agentTiers.maintain({ agent: 'scout' })).rejects.toThrow(/agent/);
    });
  });
}
