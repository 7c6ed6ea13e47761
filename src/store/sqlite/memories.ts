import type { StoreFilter } from '../../models/filters.js';
import type { MemoryRecord } from '../../models/memory-record.js';
import type { IndexedMemory, IndexTerms, ListOrder, Page, PutOutcome } from '../port.js';
import { filterSql, listOrderSql } from './filter-sql.js';
import { KeywordRows } from './keyword-rows.js';
import {
  INSERT_MEMORY_SQL,
  type MemoryRow,
  recordToRow,
  rowToRecord,
  tagsOf,
  UPDATE_MEMORY_SQL,
} from './memory-rows.js';
import { bumpWriteVersion } from './meta.js';
import { KEYWORD_REBUILD_KEY } from './migrations.js';
import type { Db } from './open.js';
import type { StatementCache } from './statements.js';
import type { VectorIndex, VectorTables } from './vectors.js';

const EXPORT_PAGE = 500;

interface Prepared {
  item: IndexedMemory;
  row: Omit<MemoryRow, 'pk'>;
}

export class MemoryRepo {
  private readonly putTx;
  private readonly deleteTx;
  private readonly accessTx;
  private readonly contextTx;
  /** The keyword index's rows (keyword-rows.ts); its `compress` follows SQLITE_COMPRESS. */
  readonly keywords;

  constructor(
    private readonly db: Db,
    private readonly stmts: StatementCache,
    private readonly vectors: VectorIndex,
  ) {
    this.keywords = new KeywordRows(stmts);
    this.putTx = db.transaction((items: Prepared[], deduplicate: boolean) => this.putAll(items, deduplicate));
    this.deleteTx = db.transaction((ids: string[]) => this.deleteInTransaction(ids));
    // A full-text row is rewritten whole, never column by column.
    this.contextTx = db.transaction((entries: IndexTerms[]) => {
      const find = this.stmts.get('SELECT pk FROM memories WHERE id = ?');
      let written = 0;
      for (const e of entries) {
        const row = find.get(e.id) as { pk: number } | undefined;
        if (!row) continue;
        this.keywords.write(row.pk, e.terms, e.contextTerms);
        written += 1;
      }
      if (written) bumpWriteVersion(this.stmts);
    });
    this.accessTx = db.transaction((ids: string[], atMs: number) => {
      const stmt = this.stmts.get(
        'UPDATE memories SET access_count = access_count + 1, last_accessed = ? WHERE id = ?',
      );
      for (const id of ids) stmt.run(atMs, id);
    });
  }

  put(items: IndexedMemory[], deduplicate: boolean): PutOutcome[] {
    if (items.length === 0) return [];
    // Converting first means a bad date fails the call before any lock is taken.
    const prepared = items.map((item): Prepared => ({ item, row: recordToRow(item.record) }));
    return this.putTx.immediate(prepared, deduplicate);
  }

  private putAll(items: Prepared[], deduplicate: boolean): PutOutcome[] {
    const tables = this.vectors.ensure(items[0]!.item.vector.length);
    for (const { item } of items) this.vectors.checkDimension(tables, item.vector);
    const outcomes = items.map((p) => this.putOne(p, deduplicate, tables));
    this.countCreated(items.filter((_, i) => outcomes[i]!.status === 'created'));
    if (outcomes.some((o) => o.status !== 'duplicate')) bumpWriteVersion(this.stmts);
    return outcomes;
  }

  /**
   * memory_counts (search.ts) for the memories just inserted, once per namespace rather than per row (migration 14
   * moved this out of an insert trigger; deletes and namespace moves keep theirs).
   */
  private countCreated(created: Prepared[]): void {
    if (created.length === 0) return;
    const perNamespace = new Map<string, number>();
    for (const { row } of created) {
      if (row.namespace !== null) perNamespace.set(row.namespace, (perNamespace.get(row.namespace) ?? 0) + 1);
    }
    const add = this.stmts.get(
      'INSERT INTO memory_counts (key, n) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET n = n + excluded.n',
    );
    add.run('*', created.length);
    for (const [namespace, n] of perNamespace) add.run(`ns:${namespace}`, n);
  }

  private putOne({ item, row }: Prepared, deduplicate: boolean, tables: VectorTables): PutOutcome {
    const { record } = item;
    const existing = this.stmts.get('SELECT pk FROM memories WHERE id = ?').get(record.id) as
      | { pk: number }
      | undefined;
    if (existing) {
      this.stmts.get(UPDATE_MEMORY_SQL).run({ ...row, pk: existing.pk });
      this.index(existing.pk, item, tables);
      return { status: 'updated', id: record.id };
    }
    if (deduplicate) {
      // Rows written earlier in this batch are visible here, so equal items within one call dedupe too.
      const dup = this.stmts
        .get('SELECT id FROM memories WHERE memory_hash = ? AND namespace IS ? AND user_id IS ? ORDER BY pk LIMIT 1')
        .get(row.memory_hash, row.namespace, row.user_id) as { id: string } | undefined;
      if (dup) return { status: 'duplicate', id: record.id, existing_id: dup.id };
    }
    const pk = Number(this.stmts.get(INSERT_MEMORY_SQL).run(row).lastInsertRowid);
    if (row.loc_kind !== null && row.loc_x !== null && row.loc_y !== null) {
      // What the insert trigger did before migration 14; updates keep theirs (memories_rtree_update).
      this.stmts
        .get('INSERT INTO memories_rtree (pk, min_x, max_x, min_y, max_y, kind) VALUES (?, ?, ?, ?, ?, ?)')
        .run(pk, row.loc_x, row.loc_x, row.loc_y, row.loc_y, row.loc_kind);
    }
    this.index(pk, item, tables, true);
    return { status: 'created', id: record.id };
  }

  /**
   * Rewrites everything derived from the record: tags, full-text row, vectors. `fresh`: `pk` was just inserted
   * (AUTOINCREMENT never hands out a key twice), so nothing derived from an older row can be there to remove.
   */
  private index(pk: number, item: IndexedMemory, tables: VectorTables, fresh = false): void {
    if (!fresh) this.stmts.get('DELETE FROM memory_tags WHERE memory_rowid = ?').run(pk);
    const tag = this.stmts.get('INSERT OR IGNORE INTO memory_tags (memory_rowid, field, value) VALUES (?, ?, ?)');
    for (const [field, value] of tagsOf(item.record)) tag.run(pk, field, value);
    this.keywords.write(pk, item.terms, item.contextTerms, fresh);
    const r = item.record;
    const keys = { namespace: r.namespace ?? null, user_id: r.user_id ?? null, session_id: r.session_id ?? null };
    this.vectors.write(tables, pk, item.vector, item.vectorHash, keys, fresh);
    if (this.vectors.pending) this.vectors.removeFrom(this.vectors.pending, pk);
  }

  get(ids: string[]): MemoryRecord[] {
    if (ids.length === 0) return [];
    const rows = this.stmts
      .get('SELECT * FROM memories WHERE id IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(ids)) as MemoryRow[];
    const byId = new Map(rows.map((r) => [r.id, r]));
    const out: MemoryRecord[] = [];
    for (const id of new Set(ids)) {
      const row = byId.get(id);
      if (row) out.push(rowToRecord(row));
    }
    return out;
  }

  delete(ids: string[]): number {
    return ids.length === 0 ? 0 : this.deleteTx.immediate(ids);
  }

  /** Within the caller's transaction. */
  deleteInTransaction(ids: string[]): number {
    const rows = this.stmts
      .get('SELECT pk FROM memories WHERE id IN (SELECT value FROM json_each(?))')
      .all(JSON.stringify(ids)) as { pk: number }[];
    for (const { pk } of rows) {
      this.keywords.remove(pk);
      this.vectors.remove(pk);
      // Tags and plain vector rows go by ON DELETE CASCADE.
      this.stmts.get('DELETE FROM memories WHERE pk = ?').run(pk);
    }
    if (rows.length) bumpWriteVersion(this.stmts);
    return rows.length;
  }

  list(filter: StoreFilter, limit: number, offset: number, count = true, order?: ListOrder): Page<MemoryRecord> {
    const f = filterSql(filter);
    const rows = this.stmts
      .get(
        `SELECT m.* FROM memories m WHERE ${f.where} ORDER BY ${listOrderSql(order)}m.created_at DESC, m.id LIMIT ? OFFSET ?`,
      )
      .all(...f.params, Math.max(0, limit), Math.max(0, offset)) as MemoryRow[];
    return { items: rows.map(rowToRecord), total: count ? this.count(filter) : rows.length };
  }

  /** Read from the memory_hash index (and, with `sinceMs`, the updated_at one): no memory without a twin is read. */
  duplicateGroups(scope: { namespace?: string; user_id?: string }, sinceMs?: number): string[][] {
    const inScope = '(@ns IS NULL OR namespace = @ns) AND (@user IS NULL OR user_id = @user)';
    // The hashes worth grouping: those of what changed since the last pass, or every hash held twice.
    const hashes =
      sinceMs === undefined
        ? `SELECT memory_hash FROM memories WHERE ${inScope} GROUP BY memory_hash HAVING count(*) > 1`
        : `SELECT memory_hash FROM memories WHERE updated_at >= @since AND ${inScope}`;
    const rows = this.stmts
      .get(
        `SELECT json_group_array(id) AS ids FROM (
           SELECT id, memory_hash, namespace, user_id FROM memories
           WHERE memory_hash IN (${hashes}) AND ${inScope}
           ORDER BY created_at, id)
         GROUP BY memory_hash, ifnull(namespace, char(0)), ifnull(user_id, char(0)) HAVING count(*) > 1`,
      )
      .all({ ns: scope.namespace ?? null, user: scope.user_id ?? null, since: sinceMs ?? null }) as { ids: string }[];
    return rows.map((r) => JSON.parse(r.ids) as string[]);
  }

  count(filter: StoreFilter): number {
    const f = filterSql(filter);
    const row = this.stmts.get(`SELECT count(*) AS n FROM memories m WHERE ${f.where}`).get(...f.params) as {
      n: number;
    };
    return row.n;
  }

  sessionTail(namespace: string | null, sessionId: string, n: number): MemoryRecord[] {
    const rows = this.stmts
      .get('SELECT * FROM memories WHERE session_id = ? AND namespace IS ? ORDER BY pk DESC LIMIT ?')
      .all(sessionId, namespace, Math.max(0, n)) as MemoryRow[];
    return rows.reverse().map(rowToRecord);
  }

  /**
   * Rebuilds the full-text index and the tag index of every memory from the stored records, in one IMMEDIATE
   * transaction: writers wait (up to the busy timeout) instead of adding a memory the rebuild would miss, and readers
   * keep seeing the old index until it commits. `termsOf` gets the records in insertion order.
   */
  rebuildKeywordIndex(
    termsOf: (records: MemoryRecord[]) => IndexTerms[],
    onProgress?: (done: number, total: number) => void,
    opts: { onlyIfPending?: boolean } = {},
  ): number {
    return this.db
      .transaction(() => {
        // Re-read inside the lock: another process opening the same file may have rebuilt it meanwhile.
        const pending = this.stmts.get('SELECT 1 FROM meta WHERE key = ?').get(KEYWORD_REBUILD_KEY) !== undefined;
        if (opts.onlyIfPending && !pending) return 0;
        const rows = this.stmts.get('SELECT * FROM memories ORDER BY pk').all() as MemoryRow[];
        const records = rows.map(rowToRecord);
        const pkOf = new Map(rows.map((r) => [r.id, r.pk]));
        const entries = termsOf(records);
        this.keywords.clear(this.db);
        this.db.exec('DELETE FROM memory_tags;');
        const tag = this.stmts.get('INSERT OR IGNORE INTO memory_tags (memory_rowid, field, value) VALUES (?, ?, ?)');
        const byId = new Map(records.map((r) => [r.id, r]));
        let done = 0;
        for (const e of entries) {
          const pk = pkOf.get(e.id);
          const record = byId.get(e.id);
          if (pk === undefined || !record) continue;
          this.keywords.write(pk, e.terms, e.contextTerms);
          for (const [field, value] of tagsOf(record)) tag.run(pk, field, value);
          done += 1;
          if (done % 500 === 0 || done === entries.length) onProgress?.(done, records.length);
        }
        if (records.length === 0) onProgress?.(0, 0);
        if (pending) this.stmts.get('DELETE FROM meta WHERE key = ?').run(KEYWORD_REBUILD_KEY);
        bumpWriteVersion(this.stmts);
        return done;
      })
      .immediate();
  }

  setIndexTerms(entries: IndexTerms[]): void {
    if (entries.length > 0) this.contextTx.immediate(entries);
  }

  recordAccess(ids: string[], atMs: number): void {
    if (ids.length > 0) this.accessTx.immediate(ids, atMs);
  }

  /** Pages by primary key rather than holding one cursor open, so other statements can run in between. */
  async *all(): AsyncGenerator<MemoryRecord> {
    let after = 0;
    for (;;) {
      const rows = this.stmts
        .get('SELECT * FROM memories WHERE pk > ? ORDER BY pk LIMIT ?')
        .all(after, EXPORT_PAGE) as MemoryRow[];
      for (const row of rows) yield rowToRecord(row);
      if (rows.length < EXPORT_PAGE) return;
      after = rows[rows.length - 1]!.pk;
    }
  }
}
