/** Background work in slices: every item handed over once, in order; other work runs between slices; a stop holds. */
import { describe, expect, it } from 'vitest';
import { inSlices, SLICE_MS } from '../../src/util/yield.js';

/** Busy-waits `ms`: a step that holds the thread, as a synchronous SQLite delete does. */
const hold = (ms: number) => {
  const end = performance.now() + ms;
  while (performance.now() < end) {}
};

describe('inSlices', () => {
  it('hands every item over once, in order, in slices that grow while each is quick', async () => {
    const items = Array.from({ length: 1000 }, (_, i) => i);
    const seen: number[] = [];
    const sizes: number[] = [];
    const n = await inSlices(items, async (slice) => {
      seen.push(...slice);
      sizes.push(slice.length);
    });
    expect(n).toBe(1000);
    expect(seen).toEqual(items);
    expect(sizes[0]).toBe(1);
    expect(Math.max(...sizes)).toBeGreaterThan(100);
  });

  it('lets a waiting callback run between slices, and shrinks slices that take too long', async () => {
    let ranAt = -1;
    let handed = 0;
    const sizes: number[] = [];
    // Scheduled before the work starts: with no turn of the event loop it would run only after the last slice.
    setImmediate(() => {
      ranAt = handed;
    });
    await inSlices(
      Array.from({ length: 40 }, (_, i) => i),
      async (slice) => {
        // Each item costs a third of a slice: slices settle at one to three items.
        hold((SLICE_MS / 3) * slice.length);
        handed += slice.length;
        sizes.push(slice.length);
      },
    );
    expect(ranAt).toBeGreaterThan(0);
    expect(ranAt).toBeLessThan(40);
    expect(Math.max(...sizes.slice(3))).toBeLessThanOrEqual(3);
  });

  it('stops before the next slice once the signal is aborted', async () => {
    const stop = new AbortController();
    const seen: number[] = [];
    const n = await inSlices(
      Array.from({ length: 100 }, (_, i) => i),
      async (slice) => {
        seen.push(...slice);
        if (seen.length >= 3) stop.abort();
      },
      stop.signal,
    );
    expect(n).toBe(seen.length);
    expect(n).toBeLessThan(100);
    expect(seen).toEqual(Array.from({ length: n }, (_, i) => i));
  });
});
