import type { StoreFilter } from '../../models/filters.js';
import type { MemoryRecord } from '../../models/memory-record.js';
import type { IndexedMemory, IndexTerms, ListOrder, Page, PutOutcome } from '../port.js';
import { type Db, RetryTransaction, type Sql } from './client.js';
import { filterSql, integerBound, listOrderSql, Params } from './filter-sql.js';
import { writeTerms } from './keyword-index.js';
import { lockAll, lockShared } from './locks.js';
import {
  batchParam,
  INSERT_MEMORIES_SQL,
  type MemoryRow,
  type MemoryValues,
  RECORD_COLUMNS,
  recordToValues,
  rowToRecord,
  UPDATE_MEMORIES_SQL,
} from './memory-rows.js';
import { bumpWriteVersion } from './meta.js';
import type { VectorIndex } from './vectors.js';

const EXPORT_PAGE = 500;

/** The deduplication identity: memory_hash within one namespace and user, null included. */
const scopeOf = (v: { namespace: string | null; user_id: string | null }) => JSON.stringify([v.namespace, v.user_id]);
const dedupeKey = (v: { memory_hash: string; namespace: string | null; user_id: string | null }) =>
  JSON.stringify([v.memory_hash, v.namespace, v.user_id]);

interface Existing {
  pk: number;
  id: string;
  memory_hash: string;
  namespace: string | null;
  user_id: string | null;
}

/** What one put call decided, before anything is written. */
interface Plan {
  outcomes: PutOutcome[];
  /** Final values and vector per id, in the order each id was first written. */
  writes: Map<string, { values: MemoryValues; item: IndexedMemory; exists: boolean }>;
}

/**
 * The outcome of each item in order, as if they were written one after the other: an existing id is updated, a
 * new one with an equal memory (the earliest, by row id, among stored rows and those this call wrote before it)
 * is a duplicate, anything else is created. Rows this call creates come after every stored row.
 */
function plan(items: { item: IndexedMemory; values: MemoryValues }[], existing: Existing[], deduplicate: boolean) {
  const byId = new Map(existing.map((e) => [e.id, e]));
  // Per dedupe key, the ids holding it, earliest first; `rank` orders stored rows by pk, then new ones by arrival.
  const rank = new Map<string, number>(existing.map((e) => [e.id, e.pk]));
  const holders = new Map<string, string[]>();
  const keyOfId = new Map<string, string>();
  const hold = (id: string, key: string) => {
    const list = holders.get(key) ?? [];
    list.push(id);
    list.sort((a, b) => rank.get(a)! - rank.get(b)!);
    holders.set(key, list);
    keyOfId.set(id, key);
  };
  const release = (id: string) => {
    const key = keyOfId.get(id);
    if (key === undefined) return;
    const list = holders.get(key)!;
    list.splice(list.indexOf(id), 1);
    keyOfId.delete(id);
  };
  for (const e of [...existing].sort((a, b) => a.pk - b.pk)) hold(e.id, dedupeKey(e));
  let arrival = Number.MAX_SAFE_INTEGER / 2;
  const out: Plan = { outcomes: [], writes: new Map() };
  for (const { item, values } of items) {
    const id = values.id;
    const known = byId.has(id) || out.writes.has(id);
    if (!known && deduplicate) {
      const first = holders.get(dedupeKey(values))?.[0];
      if (first !== undefined) {
        out.outcomes.push({ status: 'duplicate', id, existing_id: first });
        continue;
      }
    }
    out.outcomes.push({ status: known ? 'updated' : 'created', id });
    if (!rank.has(id)) rank.set(id, arrival++);
    release(id);
    hold(id, dedupeKey(values));
    // A later write of the same id wins; the row keeps the place of the first.
    out.writes.set(id, { values, item, exists: byId.has(id) });
  }
  return out;
}

export class MemoryRepo {
  constructor(
    private readonly db: Db,
    private readonly vectors: VectorIndex,
  ) {}

  async put(items: IndexedMemory[], deduplicate: boolean): Promise<PutOutcome[]> {
    if (items.length === 0) return [];
    // Converting first means a bad date fails the call before any lock is taken.
    const prepared = items.map((item) => ({ item, values: recordToValues(item.record) }));
    return this.db.tx(async (t) => {
      await lockShared(t, 'vectors');
      const state = await this.vectors.ensure(t, items[0]!.vector.length);
      for (const { item } of prepared) this.vectors.checkDimension(state.live, item.vector);
      // Held to commit: another process deciding the same memory is new waits for this one's rows.
      if (deduplicate) await lockAll(t, [...new Set(prepared.map((p) => `scope:${scopeOf(p.values)}` as const))]);
      const ids = [...new Set(prepared.map((p) => p.values.id))];
      const hashes = [...new Set(prepared.map((p) => p.values.memory_hash))];
      const existing = await t.rows<Existing>(
        `SELECT pk, id, memory_hash, namespace, user_id FROM memories
         WHERE id = ANY($1::text[])${deduplicate ? ' OR memory_hash = ANY($2::text[])' : ''}`,
        deduplicate ? [ids, hashes] : [ids],
      );
      const { outcomes, writes } = plan(prepared, existing, deduplicate);
      const all = [...writes.values()];
      const inserts = all.filter((w) => !w.exists);
      const updates = all.filter((w) => w.exists);
      const pkOf = new Map<string, number>();
      if (inserts.length) {
        const rows = await t.rows<{ pk: number; id: string }>(INSERT_MEMORIES_SQL, [
          batchParam(inserts.map((w) => w.values)),
        ]);
        // Another transaction created one of these ids since it was looked up: start again, it is an update now.
        if (rows.length < inserts.length) throw new RetryTransaction('a memory id was created concurrently');
        for (const r of rows) pkOf.set(r.id, r.pk);
      }
      if (updates.length) {
        const rows = await t.rows<{ pk: number; id: string }>(UPDATE_MEMORIES_SQL, [
          batchParam(updates.map((w) => w.values)),
        ]);
        if (rows.length < updates.length) throw new RetryTransaction('a memory was deleted concurrently');
        for (const r of rows) pkOf.set(r.id, r.pk);
      }
      const entries = all.map((w) => ({ pk: pkOf.get(w.values.id)!, item: w.item }));
      await writeTerms(
        t,
        entries.map((e) => ({ pk: e.pk, terms: e.item.terms, contextTerms: e.item.contextTerms })),
        updates.length > 0,
      );
      await this.vectors.write(
        t,
        state,
        entries.map((e) => ({ pk: e.pk, vector: e.item.vector })),
      );
      if (all.length) await bumpWriteVersion(t);
      return outcomes;
    });
  }

  async get(ids: string[]): Promise<MemoryRecord[]> {
    if (ids.length === 0) return [];
    const rows = await this.db.rows<MemoryRow>(
      `SELECT ${RECORD_COLUMNS} FROM memories m WHERE m.id = ANY($1::text[])`,
      [[...new Set(ids)]],
    );
    const byId = new Map(rows.map((r) => [r.id, r]));
    const out: MemoryRecord[] = [];
    for (const id of new Set(ids)) {
      const row = byId.get(id);
      if (row) out.push(rowToRecord(row));
    }
    return out;
  }

  async delete(ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    // Keyword rows and vectors go by ON DELETE CASCADE, keyword_stats by trigger.
    return this.db.tx(async (t) => {
      const n = await t.run('DELETE FROM memories WHERE id = ANY($1::text[])', [[...new Set(ids)]]);
      if (n) await bumpWriteVersion(t);
      return n;
    });
  }

  async list(
    filter: StoreFilter,
    limit: number,
    offset: number,
    count = true,
    order?: ListOrder,
  ): Promise<Page<MemoryRecord>> {
    const p = new Params();
    const f = filterSql(filter, p);
    const rows = await this.db.rows<MemoryRow>(
      `SELECT ${RECORD_COLUMNS} FROM memories m WHERE ${f.where}
       ORDER BY ${listOrderSql(order)}m.created_at DESC, m.id LIMIT ${p.add(Math.max(0, Math.floor(limit)))} OFFSET ${p.add(Math.max(0, Math.floor(offset)))}`,
      p.values,
    );
    return { items: rows.map(rowToRecord), total: count ? await this.count(filter) : rows.length };
  }

  async count(filter: StoreFilter): Promise<number> {
    const p = new Params();
    const f = filterSql(filter, p);
    const row = await this.db.one<{ n: number }>(`SELECT count(*) AS n FROM memories m WHERE ${f.where}`, p.values);
    return row?.n ?? 0;
  }

  /** Read from the memory_hash index (and, with `sinceMs`, the updated_at one): no memory without a twin is read. */
  async duplicateGroups(scope: { namespace?: string; user_id?: string }, sinceMs?: number): Promise<string[][]> {
    const inScope = '($1::text IS NULL OR namespace = $1) AND ($2::text IS NULL OR user_id = $2)';
    const hashes =
      sinceMs === undefined
        ? `SELECT memory_hash FROM memories WHERE ${inScope} GROUP BY memory_hash HAVING count(*) > 1`
        : `SELECT memory_hash FROM memories WHERE updated_at >= $3 AND ${inScope}`;
    const rows = await this.db.rows<{ ids: string[] }>(
      `SELECT array_agg(id ORDER BY created_at, id) AS ids FROM memories
       WHERE memory_hash IN (${hashes}) AND ${inScope}
       GROUP BY memory_hash, namespace, user_id HAVING count(*) > 1`,
      sinceMs === undefined
        ? [scope.namespace ?? null, scope.user_id ?? null]
        : [scope.namespace ?? null, scope.user_id ?? null, integerBound(sinceMs, '>=')],
    );
    return rows.map((r) => r.ids);
  }

  async sessionTail(namespace: string | null, sessionId: string, n: number): Promise<MemoryRecord[]> {
    const rows = await this.db.rows<MemoryRow>(
      `SELECT ${RECORD_COLUMNS} FROM memories m WHERE m.session_id = $1 AND m.namespace IS NOT DISTINCT FROM $2
       ORDER BY m.pk DESC LIMIT $3`,
      [sessionId, namespace, Math.max(0, Math.floor(n))],
    );
    return rows.reverse().map(rowToRecord);
  }

  async setIndexTerms(entries: IndexTerms[]): Promise<void> {
    if (entries.length === 0) return;
    // The last entry of an id wins, as if each were written in turn.
    const last = new Map(entries.map((e) => [e.id, e]));
    await this.db.tx(async (t) => {
      const rows = await t.rows<{ pk: number; id: string }>(
        'SELECT pk, id FROM memories WHERE id = ANY($1::text[]) FOR UPDATE',
        [[...last.keys()]],
      );
      await writeTerms(
        t,
        rows.map((r) => ({ pk: r.pk, terms: last.get(r.id)!.terms, contextTerms: last.get(r.id)!.contextTerms })),
        true,
      );
      if (rows.length) await bumpWriteVersion(t);
    });
  }

  /**
   * Rebuilds the keyword index of every memory from the stored records in one transaction, which holds every
   * memory row locked: a concurrent write waits rather than being missed, and readers see the old index until it
   * commits. `termsOf` gets the records in insertion order.
   */
  async rebuildKeywordIndex(
    termsOf: (records: MemoryRecord[]) => IndexTerms[],
    onProgress?: (done: number, total: number) => void,
  ): Promise<number> {
    return this.db.tx(async (t) => {
      await t.run('LOCK TABLE memories IN SHARE ROW EXCLUSIVE MODE');
      const rows = await t.rows<MemoryRow>(`SELECT ${RECORD_COLUMNS} FROM memories m ORDER BY m.pk`);
      const records = rows.map(rowToRecord);
      const pkOf = new Map(rows.map((r) => [r.id, r.pk]));
      const entries = termsOf(records).filter((e) => pkOf.has(e.id));
      const last = new Map(entries.map((e) => [e.id, e]));
      await t.run('DELETE FROM memory_terms');
      const batch = [...last.values()];
      let done = 0;
      for (let i = 0; i < batch.length; i += EXPORT_PAGE) {
        const slice = batch.slice(i, i + EXPORT_PAGE);
        await writeTerms(
          t,
          slice.map((e) => ({ pk: pkOf.get(e.id)!, terms: e.terms, contextTerms: e.contextTerms })),
          false,
        );
        done += slice.length;
        onProgress?.(done, records.length);
      }
      // Memories the callback left out have no tokens now.
      await t.run(
        'UPDATE memories SET doc_len = 0 WHERE doc_len <> 0 AND NOT EXISTS (SELECT 1 FROM memory_terms WHERE memory_pk = pk)',
      );
      if (records.length === 0) onProgress?.(0, 0);
      await bumpWriteVersion(t);
      return done;
    });
  }

  async recordAccess(ids: string[], atMs: number): Promise<void> {
    if (ids.length === 0) return;
    // An id listed twice counts two accesses, as one update per listed id would.
    const counts = new Map<string, number>();
    for (const id of ids) counts.set(id, (counts.get(id) ?? 0) + 1);
    await this.db.run(
      `UPDATE memories m SET access_count = m.access_count + c.n, last_accessed = $3
       FROM unnest($1::text[], $2::integer[]) AS c(id, n) WHERE m.id = c.id`,
      [[...counts.keys()], [...counts.values()], atMs],
    );
  }

  /** Pages by primary key rather than holding one cursor open, so other statements can run in between. */
  async *all(): AsyncGenerator<MemoryRecord> {
    let after = 0;
    for (;;) {
      const rows = await this.db.rows<MemoryRow>(
        `SELECT ${RECORD_COLUMNS} FROM memories m WHERE m.pk > $1 ORDER BY m.pk LIMIT $2`,
        [after, EXPORT_PAGE],
      );
      for (const row of rows) yield rowToRecord(row);
      if (rows.length < EXPORT_PAGE) return;
      after = rows[rows.length - 1]!.pk;
    }
  }
}

/** Within the caller's transaction (erasing a user): the rows go with their keyword rows and vectors. */
export async function deleteMemoryRows(t: Sql, pks: number[]): Promise<number> {
  if (pks.length === 0) return 0;
  const n = await t.run('DELETE FROM memories WHERE pk = ANY($1::bigint[])', [pks]);
  if (n) await bumpWriteVersion(t);
  return n;
}
