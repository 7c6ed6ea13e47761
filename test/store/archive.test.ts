/**
 * The port's summarization and extraction members, on SQLite (archive-behaviour.ts), until every adapter joins them
 * to the conformance suite.
 */
import { openSqliteStore } from '../../src/store/sqlite/sqlite-store.js';
import { archiveBehaviour } from './archive-behaviour.js';

archiveBehaviour(() => openSqliteStore({ path: ':memory:' }));
