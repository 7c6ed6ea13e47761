import { packVector, unpackVector } from './codec.js';
import type { Meta } from './meta.js';
import type { Db } from './open.js';
import type { StatementCache } from './statements.js';
import { hashKey, storedVector, type VectorIndex } from './vectors.js';

/**
 * Content hash → vector, per model, in two places: the `embedding_cache` table (query texts, and what was cached
 * before vectors carried their text's hash), and the live vector table, whose rows carry the hash of the text they
 * were embedded from (vectors.ts). A memory's vector is so never stored twice: the engine does not cache the vectors
 * of the texts it stores (`keepsMemoryVectors`), and they stay found as long as a memory holds them.
 */
export class EmbeddingCache {
  private readonly putTx;
  private readonly getTx;

  constructor(
    db: Db,
    private readonly stmts: StatementCache,
    private readonly meta: Meta,
    private readonly vectors: VectorIndex,
  ) {
    this.putTx = db.transaction((model: string, entries: [string, Float32Array][]) => {
      const stmt = this.stmts.get('INSERT OR REPLACE INTO embedding_cache (model, hash, vector) VALUES (?, ?, ?)');
      for (const [hash, v] of entries) stmt.run(model, hash, packVector(v));
    });
    // One snapshot: another process's re-embed may swap the vector tables and the model between two reads.
    this.getTx = db.transaction((model: string, hashes: string[]) => this.read(model, hashes));
  }

  get(model: string, hashes: string[]): Map<string, Float32Array> {
    return hashes.length === 0 ? new Map() : this.getTx(model, hashes);
  }

  private read(model: string, hashes: string[]): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    const rows = this.stmts
      .get('SELECT hash, vector FROM embedding_cache WHERE model = ? AND hash IN (SELECT value FROM json_each(?))')
      .all(model, JSON.stringify(hashes)) as { hash: string; vector: Buffer }[];
    for (const r of rows) out.set(r.hash, unpackVector(r.vector));
    const live = this.vectors.current();
    if (out.size === hashes.length || !live || this.meta.get('embedding_model') !== model) return out;
    const missing = new Map(hashes.filter((h) => !out.has(h)).map((h) => [hashKey(h).toString('hex'), h]));
    const found = this.stmts
      .get(
        `SELECT hex(text_hash) AS key, embedding, scale FROM ${live.blob}
         WHERE text_hash IN (SELECT unhex(value) FROM json_each(?)) GROUP BY text_hash`,
      )
      .all(JSON.stringify([...missing.keys()])) as { key: string; embedding: Uint8Array; scale: number | null }[];
    for (const r of found) {
      const hash = missing.get(r.key.toLowerCase());
      if (hash) out.set(hash, storedVector(r));
    }
    return out;
  }

  put(model: string, entries: [string, Float32Array][]): void {
    if (entries.length > 0) this.putTx.immediate(model, entries);
  }
}
