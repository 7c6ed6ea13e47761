import { describe, expect, it } from 'vitest';
import { toStoreFilter } from '../../src/core/filters.js';
import { MemoryError } from '../../src/errors.js';
import { SearchRequest } from '../../src/models/search.js';

describe('toStoreFilter', () => {
  it('turns between into gte+lte and reads ISO, epoch seconds and epoch ms alike', () => {
    const f = toStoreFilter({
      created_at: { between: ['2026-01-01T00:00:00Z', 1767312000] },
      event_date: { gt: 1767225600000 },
    });
    expect(f.times.created_at).toEqual({ gte: Date.UTC(2026, 0, 1), lte: 1767312000 * 1000 });
    expect(f.times.event_date).toEqual({ gt: 1767225600000 });
  });

  it('rejects a reversed between with a message', () => {
    expect(() => toStoreFilter({ created_at: { between: ['2026-02-01', '2026-01-01'] } })).toThrow(MemoryError);
  });

  it('keeps tag filters and pinned as given', () => {
    const f = toStoreFilter({ namespace: { eq: 'a' }, topics: { all: ['x', 'y'] }, pinned: true });
    expect(f.tags).toEqual({ namespace: { eq: 'a' }, topics: { all: ['x', 'y'] } });
    expect(f.pinned).toBe(true);
  });
});

describe('filter schema', () => {
  it('accepts shorthand strings and lists', () => {
    const r = SearchRequest.parse({ text: 'q', namespace: 'ns', topics: ['a', 'b'] });
    expect(r.namespace).toEqual({ eq: 'ns' });
    expect(r.topics).toEqual({ any: ['a', 'b'] });
  });

  it('rejects unknown operators instead of ignoring them', () => {
    const r = SearchRequest.safeParse({ text: 'q', namespace: { like: 'x' } });
    expect(r.success).toBe(false);
    const t = SearchRequest.safeParse({ text: 'q', created_at: { after: '2026-01-01' } });
    expect(t.success).toBe(false);
  });

  it('takes an importance range from 0 to 1, between as gte+lte, and refuses anything else', () => {
    const r = SearchRequest.parse({ text: 'q', importance: { between: [0.2, 0.8], gt: 0.3 } });
    expect(toStoreFilter(r).importance).toEqual({ gt: 0.3, gte: 0.2, lte: 0.8 });
    for (const bad of [{ gte: 1.5 }, { lt: -0.1 }, { between: [0.9, 0.1] }, {}, { above: 0.5 }, { gte: '0.5' }]) {
      expect(SearchRequest.safeParse({ text: 'q', importance: bad }).success, JSON.stringify(bad)).toBe(false);
    }
  });

  it('rejects unreadable dates', () => {
    expect(SearchRequest.safeParse({ created_at: { gt: 'last tuesday' } }).success).toBe(false);
  });
});
