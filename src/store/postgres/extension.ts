import { MemoryError } from '../../errors.js';
import type { Sql } from './client.js';

/** What the installed pgvector can do; the store adapts rather than refusing older versions that have HNSW. */
export interface VectorCapabilities {
  version: string;
  /** halfvec (0.7.0): HNSW over 2001–4000 dimensions, on half-precision copies. */
  halfvec: boolean;
  /** hnsw.iterative_scan (0.8.0): a filtered HNSW scan goes on until it has found enough rows. */
  iterativeScan: boolean;
}

/** HNSW came with pgvector 0.5.0. */
const MIN_VERSION = [0, 5, 0];

const parts = (v: string) => v.split('.').map((p) => Number.parseInt(p, 10) || 0);
const atLeast = (v: string, min: number[]) => {
  const p = parts(v);
  for (let i = 0; i < min.length; i++) {
    if ((p[i] ?? 0) !== min[i]) return (p[i] ?? 0) > min[i]!;
  }
  return true;
};

const installHelp = (major: number) =>
  `Install pgvector on the database server: on Debian or Ubuntu, apt-get install postgresql-${major}-pgvector from ` +
  "the PostgreSQL project's PGDG apt repository; with Docker, run the pgvector/pgvector image " +
  `(e.g. pgvector/pgvector:pg${major}) instead of postgres; elsewhere, build it from the pgvector sources. ` +
  'Then start agent-memory again: it runs CREATE EXTENSION vector itself (or a superuser can run it first).';

/**
 * Makes sure the `vector` extension (pgvector) is installed in this database, creating it when the server has it
 * available, and says exactly what to do when it cannot: without it there is no vector type and no HNSW index.
 * Call inside the migration transaction, so that processes starting together create it once.
 */
export async function ensureVectorExtension(sql: Sql, where: string): Promise<VectorCapabilities> {
  const server = await sql.one<{ v: string }>("SELECT current_setting('server_version_num') AS v");
  const major = Math.floor(Number(server?.v ?? 0) / 10_000) || 16;
  let installed = await sql.one<{ version: string }>(
    "SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'",
  );
  if (!installed) {
    const available = await sql.one("SELECT 1 FROM pg_available_extensions WHERE name = 'vector'");
    if (!available) {
      throw new MemoryError(
        'unavailable',
        `PostgreSQL at ${where} (version ${major}) does not have the pgvector extension ("vector"), which ` +
          `MEMORY_BACKEND=postgres needs for its vector column and HNSW index; CREATE EXTENSION vector cannot ` +
          `work until it is installed. ${installHelp(major)}`,
      );
    }
    try {
      await sql.run('CREATE EXTENSION IF NOT EXISTS vector');
    } catch (err) {
      if ((err as { code?: string }).code !== '42501') throw err;
      throw new MemoryError(
        'unavailable',
        `PostgreSQL at ${where} has pgvector available, but this user may not run CREATE EXTENSION vector ` +
          `(${(err as Error).message}). Ask a superuser or the database owner to run CREATE EXTENSION vector ` +
          'in this database once, then start agent-memory again.',
      );
    }
    installed = await sql.one<{ version: string }>(
      "SELECT extversion AS version FROM pg_extension WHERE extname = 'vector'",
    );
  }
  const version = installed?.version ?? '0';
  if (!atLeast(version, MIN_VERSION)) {
    throw new MemoryError(
      'unavailable',
      `PostgreSQL at ${where} has pgvector ${version}, but HNSW indexes need pgvector 0.5.0 or later: install a ` +
        `newer package, then run ALTER EXTENSION vector UPDATE. ${installHelp(major)}`,
    );
  }
  return { version, halfvec: atLeast(version, [0, 7, 0]), iterativeScan: atLeast(version, [0, 8, 0]) };
}
