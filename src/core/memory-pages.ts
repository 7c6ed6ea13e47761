import type { StoreFilter } from '../models/filters.js';
import type { MemoryRecord } from '../models/memory-record.js';
import type { MemoryStore } from '../store/port.js';
import { yieldToRequests } from '../util/yield.js';

/**
 * Every memory the filter selects, newest first, a page at a time, keyset-paged through listMemories: each page
 * asks for memories created no later than the last one seen, skipping only those already seen at that instant
 * (a batch written together shares its created_at). An offset over the whole set would cost each page the pages
 * before it. Memories written meanwhile are newer than the cursor and left out; one deleted meanwhile at the
 * cursor's instant can make the next page skip one unseen memory there. Between pages the event loop takes a turn.
 */
export async function* memoryPages(
  store: MemoryStore,
  filter: StoreFilter,
  pageSize = 500,
): AsyncGenerator<MemoryRecord[]> {
  let cursor: number | undefined;
  let seenAtCursor = 0;
  for (;;) {
    const bounds = { ...filter.times.created_at };
    if (cursor !== undefined) bounds.lte = Math.min(bounds.lte ?? cursor, cursor);
    const paged: StoreFilter =
      cursor === undefined ? filter : { ...filter, times: { ...filter.times, created_at: bounds } };
    const page = await store.listMemories(paged, pageSize, cursor === undefined ? 0 : seenAtCursor, { count: false });
    if (page.items.length === 0) return;
    yield page.items;
    if (page.items.length < pageSize) return;
    const last = Date.parse(page.items[page.items.length - 1]!.created_at);
    const atLast = page.items.filter((r) => Date.parse(r.created_at) === last).length;
    seenAtCursor = last === cursor ? seenAtCursor + atLast : atLast;
    cursor = last;
    // Requests go first between pages: a scan of a large store is many of them.
    await yieldToRequests();
  }
}
