import { describeStoreConformance } from './conformance.js';
import { freshStore } from './postgres-helpers.js';

describeStoreConformance('postgres', () => freshStore());
