import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { call, startServer, type TestServer } from './helpers.js';
import { callTool, connectMcp, toolText } from './mcp-client.js';

/**
 * Agent memories over real HTTP (REST and MCP Streamable HTTP) on a real SQLite file (issue 15): typed records
 * with steps, places and structured content; retrieval by step range, place, type, importance and attributes.
 */
let server: TestServer;
let url: string;
let mcp: Client;

beforeAll(async () => {
  server = await startServer({
    EMBEDDING_MODEL: 'offline-hash-v1',
    RELATED_WORDS: 'false',
    AGENT_ATTRIBUTE_PATHS: 'content.health,metadata.role',
  });
  url = server.url;
  mcp = await connectMcp(`${url}/mcp`, 'http');
});
afterAll(async () => {
  await mcp?.close();
  await server.stop();
});

const ids = (body: { memories: { id: string }[] }) => body.memories.map((m) => m.id).sort();

describe('storing agent memories', () => {
  it('stores a state over REST, deriving the searchable text from its content', async () => {
    const res = await call(url, 'POST', '/v1/agent-memory/scout/states', {
      body: {
        id: 'st-1',
        step_number: 12,
        content: { position: [10, 20], health: 0.85, inventory: { wood: 5, stone: 2 } },
        location: { x: 10, y: 20 },
        priority: 0.9,
        metadata: { role: 'explorer' },
      },
    });
    expect(res.status).toBe(200);
    expect(res.body.memories).toEqual([
      {
        id: 'st-1',
        outcome: 'created',
        text: 'agent scout state at step 12: position 10 20; health 0.85; inventory wood 5; inventory stone 2',
      },
    ]);
    const got = await call(url, 'GET', '/v1/long-term-memory/st-1');
    expect(got.body).toMatchObject({
      memory_type: 'state',
      agent_id: 'scout',
      step_number: 12,
      location: { x: 10, y: 20 },
      importance: 0.9,
      content: { position: [10, 20], health: 0.85, inventory: { wood: 5, stone: 2 } },
    });
  });

  it('stores actions and interactions, and a batch of many kinds and agents', async () => {
    const action = await call(url, 'POST', '/v1/agent-memory/scout/actions', {
      body: {
        id: 'ac-1',
        step_number: 13,
        content: { action_type: 'trade', target_agent: 'miner' },
        text: 'Scout traded wood with the miner',
      },
    });
    expect(action.status).toBe(200);
    expect(action.body.memories[0].text).toBe('Scout traded wood with the miner');
    const interaction = await call(url, 'POST', '/v1/agent-memory/scout/interactions', {
      body: {
        id: 'in-1',
        step_number: 13,
        content: { interaction_type: 'conversation', other_agent_id: 'miner', sentiment: 0.4 },
        location: { lat: 38.72, lon: -9.14 },
      },
    });
    expect(interaction.status).toBe(200);
    const batch = await call(url, 'POST', '/v1/agent-memory/batch', {
      body: {
        records: Array.from({ length: 20 }, (_, i) => ({
          id: `b-${i}`,
          agent_id: i % 2 ? 'miner' : 'scout',
          memory_type: 'state',
          step_number: 100 + i,
          location: { x: i, y: 0 },
          importance: i / 20,
          content: { health: 1 - i / 20 },
          metadata: { role: i % 2 ? 'miner' : 'explorer' },
        })),
      },
    });
    expect(batch.status).toBe(200);
    expect(batch.body.memories).toHaveLength(20);
    // The same state again is not stored twice.
    const again = await call(url, 'POST', '/v1/agent-memory/batch', {
      body: {
        records: [
          {
            agent_id: 'miner',
            memory_type: 'state',
            step_number: 101,
            location: { x: 1, y: 0 },
            importance: 1 / 20,
            content: { health: 1 - 1 / 20 },
            metadata: { role: 'miner' },
          },
        ],
      },
    });
    expect(again.body.memories[0]).toMatchObject({ id: 'b-1', outcome: 'duplicate' });
  });

  it('refuses bad records with a 422 naming the field, never a 500', async () => {
    const cases: [unknown, RegExp][] = [
      [{ content: { a: 1 } }, /step_number/],
      [{ step_number: 1 }, /content/],
      [{ step_number: -1, content: {} }, /step_number/],
      [{ step_number: 1, content: {}, location: { x: 1 } }, /location/],
      [{ step_number: 1, content: {}, location: { lat: 91, lon: 0 } }, /location/],
      [{ step_number: 1, content: {}, importance: 2 }, /importance/],
      [{ step_number: 1, content: {}, stepnumber: 2 }, /unknown field 'stepnumber'/],
      [{ step_number: 1, content: {}, importance: 0.2, priority: 0.3 }, /importance and priority/],
    ];
    for (const [body, detail] of cases) {
      const res = await call(url, 'POST', '/v1/agent-memory/scout/states', { body });
      expect(res.status, JSON.stringify(body)).toBe(422);
      expect(res.body.detail).toMatch(detail);
    }
    const kind = await call(url, 'POST', '/v1/agent-memory/batch', {
      body: { records: [{ agent_id: 'a', memory_type: 'semantic', step_number: 1, content: {} }] },
    });
    expect(kind.status).toBe(422);
  });
});

describe('retrieving agent memories', () => {
  it('lists an agent by step range, latest first, with a true total', async () => {
    const res = await call(url, 'GET', '/v1/agent-memory/scout/memories?start_step=100&end_step=110&limit=2');
    expect(res.status).toBe(200);
    expect(res.body.memories.map((m: { id: string }) => m.id)).toEqual(['b-10', 'b-8']);
    expect(res.body.total).toBe(6);
    const states = await call(url, 'GET', '/v1/agent-memory/scout/memories?memory_type=action');
    expect(ids(states.body)).toEqual(['ac-1']);
    const bad = await call(url, 'GET', '/v1/agent-memory/scout/memories?start_step=5&end_step=1');
    expect(bad.status).toBe(400);
  });

  it('searches one agent by place, importance, declared attributes and text', async () => {
    const search = (body: Record<string, unknown>, agent = 'scout') =>
      call(url, 'POST', `/v1/agent-memory/${agent}/search`, { body });
    const near = await search({ location: { within: { x: 0, y: 0, radius: 4 } } });
    expect(ids(near.body)).toEqual(['b-0', 'b-2', 'b-4']);
    const box = await search({ location: { box: { min_x: 10, min_y: 0, max_x: 20, max_y: 25 } } });
    expect(ids(box.body)).toEqual(['b-10', 'b-12', 'b-14', 'b-16', 'b-18', 'st-1']);
    const important = await search({ importance: { gte: 0.7 }, order_by: 'importance' });
    // b-18 and st-1 tie at 0.9: the newer comes first.
    expect(important.body.memories.map((m: { id: string }) => m.id)).toEqual(['b-18', 'st-1', 'b-16', 'b-14']);
    const weak = await search({ attributes: { 'content.health': { lt: 0.2 } } }, 'miner');
    expect(ids(weak.body)).toEqual(['b-17', 'b-19']);
    const role = await search({
      text: '',
      attributes: { 'metadata.role': 'explorer' },
      step_number: { between: [100, 104] },
    });
    expect(ids(role.body)).toEqual(['b-0', 'b-2', 'b-4']);
    const geo = await search({ location: { within: { lat: 38.7, lon: -9.1, radius_m: 10_000 } } });
    expect(ids(geo.body)).toEqual(['in-1']);
    const text = await search({ text: 'traded wood', search_mode: 'keyword' });
    expect(text.body.memories[0].id).toBe('ac-1');
  });

  it('answers 422 for an unknown filter field and 400 for an undeclared attribute path', async () => {
    const unknown = await call(url, 'POST', '/v1/agent-memory/scout/search', { body: { steps: { gte: 1 } } });
    expect(unknown.status).toBe(422);
    expect(unknown.body.detail).toMatch(/unknown field 'steps'.*step_number/);
    const undeclared = await call(url, 'POST', '/v1/long-term-memory/search', {
      body: { text: '', attributes: { 'content.mana': { gt: 1 } } },
    });
    expect(undeclared.status).toBe(400);
    expect(undeclared.body.detail).toMatch(
      /'content.mana' is not a declared attribute path.*content.health, metadata.role/,
    );
    const badPath = await call(url, 'POST', '/v1/long-term-memory/search', {
      body: { text: '', attributes: { 'health; DROP': 1 } },
    });
    expect(badPath.status).toBe(422);
    const badCircle = await call(url, 'POST', '/v1/long-term-memory/search', {
      body: { text: '', location: { within: { x: 0, y: 0 } } },
    });
    expect(badCircle.status).toBe(422);
    expect(badCircle.body.detail).toMatch(/location/);
  });
});

describe('similarity to a given vector', () => {
  it('ranks by a caller vector with every filter; refuses a wrong dimension or a vector with text', async () => {
    const stats = await call(url, 'GET', '/v1/stats');
    const dim = stats.body.embedding_dimension as number;
    expect(dim).toBeGreaterThan(0);
    // The stored vector of the state st-1: its own text embedded, found again by searching with that text.
    const own = await call(url, 'POST', '/v1/agent-memory/scout/search', {
      body: { vector: Array.from({ length: dim }, (_, i) => (i === 0 ? 1 : 0)), limit: 5, step_number: { lte: 13 } },
    });
    expect(own.status).toBe(200);
    expect(own.body.total).toBe(3);
    expect(own.body.memories.every((m: { score_type: string }) => m.score_type === 'semantic')).toBe(true);
    const wrong = await call(url, 'POST', '/v1/long-term-memory/search', { body: { vector: [1, 0, 0] } });
    expect(wrong.status).toBe(400);
    expect(wrong.body.detail).toMatch(/dimension/);
    const both = await call(url, 'POST', '/v1/long-term-memory/search', { body: { text: 'x', vector: [1] } });
    expect(both.status).toBe(400);
    const zero = await call(url, 'POST', '/v1/long-term-memory/search', { body: { vector: [0, 0] } });
    expect(zero.status).toBe(400);
  });
});

describe('statistics and state changes', () => {
  it('counts one agent by type with its step range', async () => {
    const res = await call(url, 'GET', '/v1/agent-memory/scout/stats');
    expect(res.status).toBe(200);
    // st-1, ac-1, in-1 and the ten even batch states.
    expect(res.body).toEqual({
      agent_id: 'scout',
      total_memories: 13,
      memory_type_distribution: { state: 11, action: 1, interaction: 1, other: 0 },
      memory_tier_distribution: { stm: 13, im: 0, ltm: 0 },
      first_step: 12,
      last_step: 118,
      content_bytes: expect.any(Number),
    });
    expect(res.body.content_bytes).toBeGreaterThan(13 * 40);
    const none = await call(url, 'GET', '/v1/agent-memory/nobody/stats');
    expect(none.body).toMatchObject({ total_memories: 0, first_step: null, last_step: null, content_bytes: 0 });
  });

  it('reports each change of an attribute over a step range, from successive states', async () => {
    for (const [step, health] of [
      [500, 0.9],
      [501, 0.9],
      [502, 0.7],
      [503, 0.7],
      [504, 0.2],
    ] as const) {
      await call(url, 'POST', '/v1/agent-memory/medic/states', {
        body: { id: `m-${step}`, step_number: step, content: { health, team: 'blue' } },
      });
    }
    const res = await call(url, 'GET', '/v1/agent-memory/medic/changes?attribute=content.health&start_step=500');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      agent_id: 'medic',
      attribute: 'content.health',
      states_compared: 5,
      changes: [
        { step_number: 502, memory_id: 'm-502', from: 0.9, to: 0.7 },
        { step_number: 504, memory_id: 'm-504', from: 0.7, to: 0.2 },
      ],
    });
    const window = await call(
      url,
      'GET',
      '/v1/agent-memory/medic/changes?attribute=content.health&start_step=503&end_step=504',
    );
    expect(window.body.changes).toEqual([{ step_number: 504, memory_id: 'm-504', from: 0.7, to: 0.2 }]);
    const same = await call(url, 'GET', '/v1/agent-memory/medic/changes?attribute=content.team');
    expect(same.body.changes).toEqual([]);
    const bad = await call(url, 'GET', '/v1/agent-memory/medic/changes?attribute=health');
    expect(bad.status).toBe(422);
    const reversed = await call(
      url,
      'GET',
      '/v1/agent-memory/medic/changes?attribute=content.health&start_step=9&end_step=1',
    );
    expect(reversed.status).toBe(400);
  });
});

describe('MCP tools', () => {
  it('store_agent_state / action / interaction and search_agent_memories', async () => {
    const state = await callTool(mcp, 'store_agent_state', {
      agent_id: 'builder',
      id: 'mcp-s',
      step_number: 7,
      content: { health: 0.3, position: [1, 1] },
      location: { x: 1, y: 1 },
    });
    expect(state.isError).toBeFalsy();
    expect(state.structuredContent).toMatchObject({ memories: [{ id: 'mcp-s', outcome: 'created' }] });
    for (const [tool, id] of [
      ['store_agent_action', 'mcp-a'],
      ['store_agent_interaction', 'mcp-i'],
    ] as const) {
      const r = await callTool(mcp, tool, { agent_id: 'builder', id, step_number: 8, content: { note: id } });
      expect(r.isError, toolText(r)).toBeFalsy();
    }
    const found = await callTool(mcp, 'search_agent_memories', {
      agent_id: 'builder',
      step_number: { gte: 8 },
      order_by: 'step_number',
    });
    expect(found.isError, toolText(found)).toBeFalsy();
    const body = found.structuredContent as { memories: { id: string; memory_type: string }[]; total: number };
    expect(body.memories.map((m) => m.id).sort()).toEqual(['mcp-a', 'mcp-i']);
    expect(body.total).toBe(2);
    const weak = await callTool(mcp, 'search_agent_memories', {
      agent_id: 'builder',
      attributes: { 'content.health': { lt: 0.5 } },
      location: { within: { x: 0, y: 0, radius: 2 } },
    });
    expect((weak.structuredContent as { memories: { id: string }[] }).memories.map((m) => m.id)).toEqual(['mcp-s']);
    const bad = await callTool(mcp, 'store_agent_state', { agent_id: 'builder', step_number: 'soon', content: {} });
    expect(bad.isError).toBe(true);
    const undeclared = await callTool(mcp, 'search_agent_memories', { attributes: { 'content.mana': 1 } });
    expect(undeclared.isError).toBe(true);
    expect(toolText(undeclared)).toMatch(/not a declared attribute path/);
  });
});

describe('tiers over REST and MCP', () => {
  it('maintains on demand, reads a compressed memory in full detail, and refuses bad bodies', async () => {
    const server2 = await startServer({
      EMBEDDING_MODEL: 'offline-hash-v1',
      RELATED_WORDS: 'false',
      AGENT_STM_MAX_COUNT: '3',
      AGENT_IM_MAX_COUNT: '2',
      AGENT_LTM_TEXT_CHARS: '20',
      AGENT_TIER_MAINTENANCE_EVERY_MINUTES: '0',
    });
    const mcp2 = await connectMcp(`${server2.url}/mcp`, 'http');
    try {
      const u = server2.url;
      for (let step = 0; step < 8; step++) {
        const res = await call(u, 'POST', '/v1/agent-memory/miner/states', {
          body: { id: `t-${step}`, step_number: step, content: { depth: step * 10, ore: 'copper and a long note' } },
        });
        expect(res.status).toBe(200);
      }
      const report = await call(u, 'POST', '/v1/agent-memory/maintenance', { body: { agent_id: 'miner' } });
      expect(report.status).toBe(200);
      expect(report.body).toMatchObject({
        agents: 1,
        moved: { stm_to_im: 5, im_to_ltm: 3 },
        before: { stm: 8, im: 0, ltm: 0 },
        after: { stm: 3, im: 2, ltm: 3 },
      });
      const stored = await call(u, 'GET', '/v1/long-term-memory/t-0');
      expect(stored.body.memory_tier).toBe('ltm');
      expect(stored.body.content).not.toHaveProperty('ore');
      const detail = await call(u, 'GET', '/v1/agent-memory/miner/memories/t-0');
      expect(detail.status).toBe(200);
      expect(detail.body).toMatchObject({ memory_tier: 'im', content: { depth: 0, ore: 'copper and a long note' } });
      const wrongAgent = await call(u, 'GET', '/v1/agent-memory/digger/memories/t-0');
      expect(wrongAgent.status).toBe(404);
      const tiered = await call(u, 'POST', '/v1/agent-memory/miner/search', {
        body: { text: '', memory_tiers: ['ltm'], order_by: 'step_number_asc' },
      });
      expect(tiered.body.memories.map((m: { id: string }) => m.id)).toEqual(['t-1', 't-2']);
      const stats = await call(u, 'GET', '/v1/agent-memory/miner/stats');
      expect(stats.body.memory_tier_distribution).toEqual({ stm: 3, im: 3, ltm: 2 });
      const unknown = await call(u, 'POST', '/v1/agent-memory/maintenance', { body: { agents: 'miner' } });
      expect(unknown.status).toBe(422);
      const viaMcp = await callTool(mcp2, 'get_agent_memory', { memory_id: 't-1' });
      expect(viaMcp.isError, toolText(viaMcp)).toBeFalsy();
      expect(viaMcp.structuredContent).toMatchObject({ content: { depth: 10, ore: 'copper and a long note' } });
      const pass = await callTool(mcp2, 'maintain_agent_memory', {});
      expect(pass.isError, toolText(pass)).toBeFalsy();
      const mcpStats = await callTool(mcp2, 'agent_memory_stats', { agent_id: 'miner' });
      expect((mcpStats.structuredContent as { total_memories: number }).total_memories).toBe(8);
      const changes = await callTool(mcp2, 'agent_state_changes', { agent_id: 'miner', attribute: 'content.depth' });
      expect(changes.isError, toolText(changes)).toBeFalsy();
    } finally {
      await mcp2.close();
      await server2.stop();
    }
  });
});
