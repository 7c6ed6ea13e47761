import { afterEach, beforeEach, describe } from 'vitest';
import type { MemoryStore } from '../../src/store/port.js';
import { activityBehaviour, eraseMemoryBehaviour, eraseSessionBehaviour } from './conformance/activity.js';
import { agentBehaviour } from './conformance/agent.js';
import { exportBehaviour } from './conformance/cache-export.js';
import type { StoreContext } from './conformance/context.js';
import { filterBehaviour } from './conformance/filters.js';
import { memoryBehaviour } from './conformance/memories.js';
import { modelBehaviour } from './conformance/model.js';
import { neighbourBehaviour } from './conformance/neighbours.js';
import { parityBehaviour } from './conformance/parity.js';
import { searchBehaviour } from './conformance/search.js';
import { sessionBehaviour } from './conformance/sessions.js';
import { summaryViewBehaviour } from './conformance/summary-views.js';
import { taskBehaviour } from './conformance/tasks.js';
import { writeVersionBehaviour } from './conformance/write-version.js';
import { DIM, MODEL } from './records.js';

/** Groups that need long-term search (on Redis: the search module). */
export const SEARCH_GROUPS = [
  'long-term memories',
  'filters',
  'search',
  'neighbour context',
  'embedding model',
  'embedding cache and export',
  'erasing and counting memories',
  'agent memories',
  'write version',
] as const;

export interface ConformanceOptions {
  /** Skips the SEARCH_GROUPS, printing this reason (a Redis without the search module). */
  skipSearch?: string;
  /**
   * A vector as the store keeps it, when that is not the vector given (SQLite: int8, codec.ts `quantize`): the
   * references the ranking tests compute use it, so their tolerances stay those of float arithmetic.
   */
  storedVector?: (v: Float32Array) => Float32Array;
}

/**
 * Every behaviour the MemoryStore port promises, written against the port only, so each adapter (SQLite, the
 * in-process backend, Redis) runs the same suite. Each test gets a fresh, empty store with MODEL/DIM recorded.
 */
export function describeStoreConformance(
  name: string,
  makeStore: () => Promise<MemoryStore>,
  opts: ConformanceOptions = {},
): void {
  describe(`MemoryStore conformance: ${name}`, () => {
    let current: MemoryStore | undefined;
    const ctx: StoreContext = {
      stored: opts.storedVector ?? ((v) => v),
      get store() {
        if (!current) throw new Error('store not open');
        return current;
      },
    };
    beforeEach(async () => {
      current = await makeStore();
      await current.ensureEmbeddingModel(MODEL, DIM);
    });
    afterEach(async () => {
      await current?.close();
      current = undefined;
    });

    const group = (title: (typeof SEARCH_GROUPS)[number], body: () => void) => {
      if (opts.skipSearch === undefined) describe(title, body);
      else describe.skip(`${title} (skipped: ${opts.skipSearch})`, body);
    };
    group('long-term memories', () => memoryBehaviour(ctx));
    group('filters', () => filterBehaviour(ctx));
    group('search', () => searchBehaviour(ctx));
    group('search', () => describe('ranking parity', () => parityBehaviour(ctx)));
    group('neighbour context', () => neighbourBehaviour(ctx));
    group('embedding model', () => modelBehaviour(ctx));
    describe('working memory', () => sessionBehaviour(ctx));
    group('embedding cache and export', () => exportBehaviour(ctx));
    describe('activity stream', () => activityBehaviour(ctx));
    describe('summary views', () => summaryViewBehaviour(ctx));
    describe('task queue', () => taskBehaviour(ctx));
    describe('erasing and counting sessions', () => eraseSessionBehaviour(ctx));
    group('erasing and counting memories', () => eraseMemoryBehaviour(ctx));
    group('agent memories', () => agentBehaviour(ctx));
    group('write version', () => writeVersionBehaviour(ctx));
  });
}
