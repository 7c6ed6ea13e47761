/**
 * A deterministic simulation for agent-memory tests and benchmarks (issue 15): agents walking on a 100 × 100 grid,
 * one state per agent per step, with health, mood, importance and a vector made from the mood (so similarity
 * queries have well-separated answers that a brute-force check can compute exactly).
 */
import { recordHash } from '../src/core/agent-records.js';
import { MemoryRecord } from '../src/models/memory-record.js';
import type { IndexedMemory } from '../src/store/port.js';
import { prng } from '../src/util/prng.js';

export const GRID = 100;
export const GRID_DIM = 8;
export const MOODS = ['calm', 'curious', 'afraid', 'angry'] as const;
export const GRID_ATTRIBUTE_PATHS = ['content.health', 'content.mood'];
const T0 = Date.parse('2026-01-01T00:00:00.000Z');

export { prng };

export interface GridState {
  id: string;
  agent: string;
  step: number;
  x: number;
  y: number;
  health: number;
  mood: (typeof MOODS)[number];
  importance: number;
  vector: Float32Array;
}

/** The vector of a mood: its own axis, tilted a little by health (cosine distance between moods is about 1). */
export function moodVector(mood: string, health: number): Float32Array {
  const v = new Float32Array(GRID_DIM);
  v[MOODS.indexOf(mood as (typeof MOODS)[number])] = 1;
  v[4] = 0.2 * health;
  v[5] = 0.05;
  const norm = Math.hypot(...v);
  return v.map((c) => c / norm);
}

/** `agents` agents × `steps` steps of states, in step order. */
export function simulate(agents: number, steps: number, seed = 15): GridState[] {
  const rand = prng(seed);
  const pos = Array.from({ length: agents }, (_, i) => ({ x: 40 + 10 * i, y: 60 - 10 * i, health: 0.8 }));
  const out: GridState[] = [];
  for (let step = 0; step < steps; step++) {
    for (let a = 0; a < agents; a++) {
      const p = pos[a]!;
      p.x = Math.min(GRID - 1, Math.max(0, p.x + Math.floor(rand() * 3) - 1));
      p.y = Math.min(GRID - 1, Math.max(0, p.y + Math.floor(rand() * 3) - 1));
      p.health = Math.round(Math.min(1, Math.max(0, p.health + (rand() - 0.5) * 0.1)) * 100) / 100;
      const mood = MOODS[Math.floor(rand() * MOODS.length)]!;
      out.push({
        id: `g-${a}-${step}`,
        agent: `agent-${a}`,
        step,
        x: p.x,
        y: p.y,
        health: p.health,
        mood,
        importance: Math.round(rand() * 1000) / 1000,
        vector: moodVector(mood, p.health),
      });
    }
  }
  return out;
}

/** A state as the store indexes it (what the engine would build from a store_agent_state call). */
export function gridMemory(s: GridState): IndexedMemory {
  const content = { position: [s.x, s.y], health: s.health, mood: s.mood };
  const text = `agent ${s.agent} state at step ${s.step}: position ${s.x} ${s.y}; health ${s.health}; mood ${s.mood}`;
  const created = new Date(T0 + s.step * 1000).toISOString();
  const base = { text, user_id: null, session_id: null, namespace: 'grid', memory_type: 'state' };
  const agent = { agent_id: s.agent, step_number: s.step, location: { x: s.x, y: s.y }, content };
  const record = MemoryRecord.parse({
    id: s.id,
    ...base,
    topics: [],
    entities: [],
    event_date: null,
    created_at: created,
    updated_at: created,
    last_accessed: created,
    access_count: 0,
    pinned: false,
    importance: s.importance,
    memory_hash: recordHash(base, agent),
    discrete_memory_extracted: 'f',
    extraction_strategy: 'discrete',
    extraction_strategy_config: {},
    extracted_from: [],
    persisted_at: created,
    metadata: {},
    ...agent,
  });
  return { record, terms: `agent ${s.agent} state ${s.mood}`, contextTerms: '', vector: s.vector };
}
