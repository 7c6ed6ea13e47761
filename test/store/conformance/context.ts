import type { MemoryStore } from '../../../src/store/port.js';

export interface StoreContext {
  /** The fresh store of the running test. */
  readonly store: MemoryStore;
  /** A vector as the store keeps it (ConformanceOptions.storedVector; the vector itself by default). */
  readonly stored: (v: Float32Array) => Float32Array;
}

/** Runs `fn` and returns the error it rejects with (fails when it resolves). */
export async function rejection(fn: () => Promise<unknown>): Promise<Error & { kind?: string }> {
  try {
    await fn();
  } catch (err) {
    return err as Error & { kind?: string };
  }
  throw new Error('expected a rejection');
}
