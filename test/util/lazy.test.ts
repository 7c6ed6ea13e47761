import { describe, expect, it } from 'vitest';
import { Lazy } from '../../src/util/lazy.js';

describe('Lazy', () => {
  it('loads once for every caller, retries after a failure, and forgets on take', async () => {
    let calls = 0;
    const lazy = new Lazy(async () => {
      calls++;
      if (calls === 1) throw new Error('first load fails');
      return calls;
    });
    await expect(lazy.get()).rejects.toThrow('first load fails');
    const [a, b] = await Promise.all([lazy.get(), lazy.get()]);
    expect([a, b, calls]).toEqual([2, 2, 2]);
    expect(await lazy.take()).toBe(2);
    expect(lazy.take()).toBeUndefined();
    expect(await lazy.get()).toBe(3);
  });
});
