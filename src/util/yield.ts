/**
 * A turn of the event loop for whatever waits (requests, a search thread's reply): awaiting promises alone never
 * gives one, so background work that only awaits the store (whose calls finish synchronously on SQLite) would hold
 * the process until it is done.
 */
export const yieldToRequests = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** What one slice of background work should take at most, so a request waits for no longer than this behind it. */
export const SLICE_MS = 20;
const MAX_SLICE = 500;

/**
 * Runs `step` over `items` a slice at a time, yielding to requests between slices; slices start at one item and
 * grow or shrink so that each takes about SLICE_MS (a delete costs 0.1 ms on a small store and over 1 ms on a large
 * one). Stops before the next slice once `signal` is aborted; returns how many items were handed to `step`.
 */
export async function inSlices<T>(
  items: readonly T[],
  step: (slice: T[]) => Promise<unknown>,
  signal?: AbortSignal,
): Promise<number> {
  let size = 1;
  let done = 0;
  while (done < items.length && !signal?.aborted) {
    const slice = items.slice(done, done + size);
    const started = performance.now();
    await step(slice);
    done += slice.length;
    const ms = performance.now() - started;
    if (ms < SLICE_MS / 2) size = Math.min(MAX_SLICE, size * 2);
    else if (ms > SLICE_MS) size = Math.max(1, Math.floor(size / 2));
    if (done < items.length) await yieldToRequests();
  }
  return done;
}
