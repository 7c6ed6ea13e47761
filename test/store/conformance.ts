import { afterEach, beforeEach, describe } from 'vitest';
import type { MemoryStore } from '../../src/store/port.js';
import { exportBehaviour } from './conformance/cache-export.js';
import type { StoreContext } from './conformance/context.js';
import { filterBehaviour } from './conformance/filters.js';
import { memoryBehaviour } from './conformance/memories.js';
import { modelBehaviour } from './conformance/model.js';
import { neighbourBehaviour } from './conformance/neighbours.js';
import { searchBehaviour } from './conformance/search.js';
import { sessionBehaviour } from './conformance/sessions.js';
import { DIM, MODEL } from './records.js';

/**
 * Every behaviour the MemoryStore port promises, written against the port only, so each adapter (SQLite, the
 * in-process backend, Redis) runs the same suite. Each test gets a fresh, empty store with MODEL/DIM recorded.
 */
export function describeStoreConformance(name: string, makeStore: () => Promise<MemoryStore>): void {
  describe(`MemoryStore conformance: ${name}`, () => {
    let current: MemoryStore | undefined;
    const ctx: StoreContext = {
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

    describe('long-term memories', () => memoryBehaviour(ctx));
    describe('filters', () => filterBehaviour(ctx));
    describe('search', () => searchBehaviour(ctx));
    describe('neighbour context', () => neighbourBehaviour(ctx));
    describe('embedding model', () => modelBehaviour(ctx));
    describe('working memory', () => sessionBehaviour(ctx));
    describe('embedding cache and export', () => exportBehaviour(ctx));
  });
}
