import type { Db } from './client.js';

/** Float32 vectors as their little-endian bytes: exact, and a quarter of the size of their text form. */
const toHex = (v: Float32Array) => {
  const bytes = Buffer.alloc(v.length * 4);
  for (let i = 0; i < v.length; i++) bytes.writeFloatLE(v[i]!, i * 4);
  return bytes.toString('hex');
};

const fromBytes = (b: Buffer) => {
  const v = new Float32Array(b.length / 4);
  for (let i = 0; i < v.length; i++) v[i] = b.readFloatLE(i * 4);
  return v;
};

export class EmbeddingCache {
  constructor(private readonly db: Db) {}

  async get(model: string, hashes: string[]): Promise<Map<string, Float32Array>> {
    const out = new Map<string, Float32Array>();
    if (hashes.length === 0) return out;
    const rows = await this.db.rows<{ hash: string; vector: Buffer }>(
      'SELECT hash, vector FROM embedding_cache WHERE model = $1 AND hash = ANY($2::text[])',
      [model, [...new Set(hashes)]],
    );
    for (const r of rows) out.set(r.hash, fromBytes(r.vector));
    return out;
  }

  async put(model: string, entries: [string, Float32Array][]): Promise<void> {
    if (entries.length === 0) return;
    // One row per hash (the last given wins): an upsert may not touch a row twice.
    const last = new Map(entries);
    await this.db.run(
      `INSERT INTO embedding_cache (model, hash, vector)
       SELECT $1, v.hash, decode(v.hex, 'hex') FROM unnest($2::text[], $3::text[]) AS v(hash, hex)
       ON CONFLICT (model, hash) DO UPDATE SET vector = EXCLUDED.vector`,
      [model, [...last.keys()], [...last.values()].map(toHex)],
    );
  }
}
