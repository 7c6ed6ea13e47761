/**
 * Async iterators over paged routes: they fetch a page only when the loop has used up the previous one, and stop
 * when the server says there is no next page (`next_offset` / `next_cursor` null, or a short page).
 */

export async function* byOffset<T>(
  fetchPage: (offset: number, limit: number) => Promise<{ items: T[]; next: number | null | undefined }>,
  pageSize: number,
  start = 0,
): AsyncGenerator<T, void, undefined> {
  let offset: number | null = start;
  while (offset !== null) {
    const { items, next }: { items: T[]; next: number | null | undefined } = await fetchPage(offset, pageSize);
    yield* items;
    if (items.length === 0) return;
    // Routes without next_offset (sessions) end on a short page.
    offset = next === undefined ? (items.length < pageSize ? null : offset + items.length) : next;
  }
}

export async function* byCursor<T>(
  fetchPage: (cursor: string | undefined) => Promise<{ items: T[]; next: string | null }>,
): AsyncGenerator<T, void, undefined> {
  let cursor: string | undefined;
  for (;;) {
    const { items, next } = await fetchPage(cursor);
    yield* items;
    if (next === null || items.length === 0) return;
    cursor = next;
  }
}
