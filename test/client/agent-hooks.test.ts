/**
 * The client's agent-memory API and the hooks wrapper (issue 15), against a real server on loopback: each action
 * of a wrapped agent is remembered with the states around it, and memory failures never break the agent.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { changeImportance, MemoryClient, withAgentMemory } from '../../src/client/index.js';
import { startServer, type TestServer } from '../http/helpers.js';

let server: TestServer;
let client: MemoryClient;

beforeAll(async () => {
  server = await startServer({ EMBEDDING_MODEL: 'offline-hash-v1', RATE_LIMIT_PER_MINUTE: '100000' });
  client = new MemoryClient({ baseUrl: server.url, namespace: 'hooks' });
});
afterAll(() => server?.stop());

/** A walker on a grid that loses health when it moves onto a trap. */
class Walker {
  state = { position: { x: 0, y: 0 }, health: 1, log: [] as string[] };
  act(move: 'east' | 'north' | 'trap') {
    if (move === 'trap') throw new Error('fell into a trap');
    if (move === 'east') this.state.position.x += 1;
    else this.state.position.y += 1;
    if (this.state.position.x === 2) this.state.health = 0.5;
    return { moved: move };
  }
}

describe('client agent memory', () => {
  it('stores and searches through the typed client', async () => {
    const stored = await client.agents.storeState('typed', {
      step_number: 1,
      content: { hp: 3 },
      location: { x: 1, y: 2 },
    });
    expect(stored.memories[0]?.outcome).toBe('created');
    const found = await client.agents.search('typed', { text: '', location: { within: { x: 0, y: 0, radius: 3 } } });
    expect(found.memories.map((m) => m.namespace)).toEqual(['hooks']);
  });

  it('scores importance by how much the state changed', () => {
    expect(changeImportance({ a: 1, b: 'x' }, { a: 1, b: 'x' })).toBe(0);
    expect(changeImportance({ a: 1, b: 'x' }, { a: 0.5, b: 'x' })).toBe(0.25);
    expect(changeImportance({ a: 1 }, { a: 1, c: true })).toBe(0.5);
  });

  it("remembers each action with the states before and after, and rethrows the agent's own errors", async () => {
    const walker = new Walker();
    const agent = withAgentMemory(client.agents, walker, {
      agentId: 'walker',
      getState: (w) => ({ position: { ...w.state.position }, health: w.state.health }),
      locationOf: (s) => s.position as { x: number; y: number },
      onError: (err) => {
        throw err;
      },
    });
    expect(await agent.act('east')).toEqual({ moved: 'east' });
    await agent.act('east');
    await expect(agent.act('trap')).rejects.toThrow('fell into a trap');
    expect(agent.step).toBe(3);
    const all = await client.agents.search('walker', { text: '', order_by: 'step_number_asc', limit: 20 });
    // Step order; a state and an action of one step are in either order.
    const summary = all.memories
      .map((m) => [m.memory_type, m.step_number] as const)
      .sort((a, b) => a[1]! - b[1]! || a[0].localeCompare(b[0]));
    expect(summary).toEqual([
      ['action', 0],
      ['state', 0],
      ['action', 1],
      ['state', 1],
      ['action', 2],
      ['state', 2],
      ['state', 3],
    ]);
    expect(all.total).toBe(7);
    const trap = all.memories.find((m) => m.memory_type === 'action' && m.step_number === 2);
    expect(trap?.content).toEqual({ observation: 'trap', error: 'fell into a trap' });
    // Importance follows the change: the step onto x = 2 also halved health; the trap changed nothing.
    const actions = all.memories.filter((m) => m.memory_type === 'action').map((m) => m.importance);
    expect(actions).toEqual([0.333, 0.333, 0]);
    const at2 = await client.agents.search('walker', { text: '', location: { within: { x: 2, y: 0, radius: 0 } } });
    expect(at2.memories.map((m) => m.step_number).sort()).toEqual([2, 3]);
  });

  it('never breaks the agent when memory fails: the error is reported and the agent goes on', async () => {
    const down = new MemoryClient({ baseUrl: 'http://127.0.0.1:9', retries: 0, timeoutMs: 2000 });
    const errors: unknown[] = [];
    const walker = new Walker();
    const agent = withAgentMemory(down.agents, walker, {
      agentId: 'offline',
      getState: (w) => ({ ...w.state.position }),
      onError: (err) => errors.push(err),
    });
    expect(await agent.act('north')).toEqual({ moved: 'north' });
    expect(await agent.act('east')).toEqual({ moved: 'east' });
    expect(walker.state.position).toEqual({ x: 1, y: 1 });
    expect(errors).toHaveLength(2);
    // A state that cannot be read is reported too; the action still runs.
    const broken = withAgentMemory(client.agents, new Walker(), {
      agentId: 'broken',
      getState: () => {
        throw new Error('no state');
      },
      onError: (err) => errors.push(err),
    });
    expect(await broken.act('north')).toEqual({ moved: 'north' });
    expect(errors.length).toBeGreaterThanOrEqual(3);
  });
});
