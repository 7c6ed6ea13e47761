import { CONFORMANCE_ATTRIBUTE_PATHS } from './conformance/agent.js';
import { describeStoreConformance } from './conformance.js';
import { freshStore } from './postgres-helpers.js';

describeStoreConformance('postgres', () => freshStore({ attributePaths: CONFORMANCE_ATTRIBUTE_PATHS }));
