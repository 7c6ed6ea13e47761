import { PGlite } from '@electric-sql/pglite';
import { vector } from '@electric-sql/pglite-pgvector';
import { afterAll } from 'vitest';
import {
  openPostgresStore,
  type PostgresStore,
  type PostgresStoreOptions,
} from '../../src/store/postgres/postgres-store.js';
import { serveWire } from './postgres-wire.js';

export interface PgliteHarness {
  /** A postgres:// URL the store connects to through pg, as to any PostgreSQL server. */
  url: string;
  stop(): Promise<void>;
}

/**
 * PGlite (PostgreSQL compiled to WebAssembly) with pgvector, served over the PostgreSQL wire protocol on a free
 * loopback port (postgres-wire.ts). PGlite is a single backend: the server takes several connections but runs one
 * transaction at a time, and every connection shares that backend's session (its settings, its advisory locks).
 * So each store here has a pool of one connection (a re-embed opens one more, for its lock); tests standing for
 * several processes open several stores, whose transactions PGlite then runs one after another.
 */
export async function startPglite(): Promise<PgliteHarness> {
  const db = await PGlite.create({ extensions: { vector } });
  await db.exec('CREATE EXTENSION IF NOT EXISTS vector');
  // Resolves once the server listens: the port is known and connections are accepted.
  const server = await serveWire(db);
  return {
    url: `postgres://postgres@${server.address}/postgres`,
    stop: async () => {
      await server.stop();
      await db.close();
    },
  };
}

/** One PGlite per test file, started at import (top-level await). */
export const harness = await startPglite();
afterAll(() => harness.stop());

let n = 0;
/** A unique schema per store, so tests sharing the server never see each other's tables. */
export const freshSchema = () => `test_${process.pid}_${++n}`;

/** A fresh, empty store in its own schema; close() drops the schema, so the server stays small. */
export async function freshStore(opts: Partial<PostgresStoreOptions> = {}): Promise<PostgresStore> {
  const store = await openPostgresStore({ url: harness.url, schema: freshSchema(), poolSize: 1, ...opts });
  const close = store.close.bind(store);
  store.close = async () => {
    await store.destroy().catch(() => {});
    await close();
  };
  return store;
}
