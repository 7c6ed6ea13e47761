import { describe } from 'vitest';
import { describeStoreConformance } from './conformance.js';
import { freshStore, noRedis, noSearch } from './redis-helpers.js';

if (noRedis) describe.skip(`MemoryStore conformance: redis (skipped: ${noRedis})`, () => {});
else describeStoreConformance('redis', () => freshStore(), { skipSearch: noSearch });
