import { fromBlob, toBlob } from './codec.js';
import type { Db } from './open.js';
import type { StatementCache } from './statements.js';

export class EmbeddingCache {
  private readonly putTx;

  constructor(
    db: Db,
    private readonly stmts: StatementCache,
  ) {
    this.putTx = db.transaction((model: string, entries: [string, Float32Array][]) => {
      const stmt = this.stmts.get('INSERT OR REPLACE INTO embedding_cache (model, hash, vector) VALUES (?, ?, ?)');
      for (const [hash, v] of entries) stmt.run(model, hash, toBlob(v));
    });
  }

  get(model: string, hashes: string[]): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    if (hashes.length === 0) return out;
    const rows = this.stmts
      .get('SELECT hash, vector FROM embedding_cache WHERE model = ? AND hash IN (SELECT value FROM json_each(?))')
      .all(model, JSON.stringify(hashes)) as { hash: string; vector: Buffer }[];
    for (const r of rows) out.set(r.hash, fromBlob(r.vector));
    return out;
  }

  put(model: string, entries: [string, Float32Array][]): void {
    if (entries.length > 0) this.putTx.immediate(model, entries);
  }
}
