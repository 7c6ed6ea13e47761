import { describe } from 'vitest';
import { CONFORMANCE_ATTRIBUTE_PATHS } from './conformance/agent.js';
import { describeStoreConformance } from './conformance.js';
import { freshStore, noRedis, noSearch } from './redis-helpers.js';

if (noRedis) describe.skip(`MemoryStore conformance: redis (skipped: ${noRedis})`, () => {});
else
  describeStoreConformance('redis', () => freshStore({ attributePaths: CONFORMANCE_ATTRIBUTE_PATHS }), {
    skipSearch: noSearch,
  });
