/**
 * Worker thread of a file-backed SQLite store (search-thread.ts): runs vector searches on its own read-only
 * connection, so that a hybrid search's vector half runs on a second core while the main thread runs the keyword
 * half and the keyword ceiling. WAL gives this connection a snapshot holding every transaction committed before each search starts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import Database from 'better-sqlite3';
import * as sqliteVec from 'sqlite-vec';
import { MemoryError } from '../../errors.js';
import type { StoreFilter } from '../../models/filters.js';
import { Meta } from './meta.js';
import { type VectorSearchTuning, vectorSearch } from './search.js';
import { StatementCache } from './statements.js';
import { VectorIndex } from './vectors.js';

export type SearchJob = {
  id: number;
  op: 'vector';
  query: Float32Array;
  filter: StoreFilter;
  k: number;
  maxDistance?: number;
  tuning: VectorSearchTuning;
  similarity: boolean;
};

export type SearchReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; kind?: string; message: string };

const { path, busyTimeoutMs } = workerData as { path: string; busyTimeoutMs: number };
const db = new Database(path, { readonly: true, timeout: busyTimeoutMs });
sqliteVec.load(db);
const stmts = new StatementCache(db);
const vectors = new VectorIndex(db, stmts, new Meta(stmts));

parentPort!.on('message', (job: SearchJob) => {
  let reply: SearchReply;
  try {
    const value = vectorSearch(
      stmts,
      vectors,
      job.query,
      job.filter,
      job.k,
      job.maxDistance,
      job.tuning,
      job.similarity,
    );
    reply = { id: job.id, ok: true, value };
  } catch (err) {
    const kind = err instanceof MemoryError ? err.kind : undefined;
    reply = { id: job.id, ok: false, kind, message: err instanceof Error ? err.message : String(err) };
  }
  parentPort!.postMessage(reply);
});
