/** Turns texts into vectors. Implementations return one vector per input, in input order, each `dimension` long. */
export interface Embedder {
  readonly model: string;
  readonly dimension: number;
  embed(texts: string[]): Promise<Float32Array[]>;
}
