import type { Embedder, FusionProfile } from './embedder.js';

/**
 * Two embedders side by side in one vector: each part unit-length and scaled by the square root of its weight, so
 * the cosine of two combined vectors is the weighted mean of the parts' cosines.
 */
export class CombinedEmbedder implements Embedder {
  readonly dimension: number;

  constructor(
    readonly model: string,
    private readonly parts: { embedder: Embedder; weight: number }[],
    readonly fusion: FusionProfile,
  ) {
    this.dimension = parts.reduce((n, p) => n + p.embedder.dimension, 0);
  }

  warmUp(): void {
    for (const p of this.parts) p.embedder.warmUp?.();
  }

  async close(): Promise<void> {
    await Promise.all(this.parts.map((p) => p.embedder.close?.()));
  }

  async embed(texts: string[]): Promise<Float32Array[]> {
    const embedded = await Promise.all(this.parts.map((p) => p.embedder.embed(texts)));
    return texts.map((_, i) => {
      const out = new Float32Array(this.dimension);
      let at = 0;
      for (const [k, p] of this.parts.entries()) {
        const v = embedded[k]![i]!;
        const norm = Math.hypot(...v) || 1;
        const scale = Math.sqrt(p.weight) / norm;
        for (let j = 0; j < v.length; j++) out[at + j] = v[j]! * scale;
        at += v.length;
      }
      return out;
    });
  }
}
