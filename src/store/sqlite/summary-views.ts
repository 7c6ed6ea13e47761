import {
  groupMatches,
  partitionKey,
  type StoredPartition,
  type StoredSummaryView,
  type SummaryViewStore,
} from '../summary-views.js';
import type { Db } from './open.js';
import type { StatementCache } from './statements.js';

/** Summary views on SQLite: one row per view and per partition result, each a JSON body (migration 7). */
export class SqliteSummaryViewStore implements SummaryViewStore {
  private readonly deleteTx;
  private readonly putPartitionTx;
  private readonly deletePartitionsTx;

  constructor(
    db: Db,
    private readonly stmts: StatementCache,
  ) {
    this.deleteTx = db.transaction((id: string) => {
      this.stmts.get('DELETE FROM summary_view_partitions WHERE view_id = ?').run(id);
      return this.stmts.get('DELETE FROM summary_views WHERE id = ?').run(id).changes > 0;
    });
    this.deletePartitionsTx = db.transaction((viewId: string, groups: Record<string, string>[]) => {
      const del = this.stmts.get('DELETE FROM summary_view_partitions WHERE view_id = ? AND partition_key = ?');
      return groups.reduce((n, g) => n + del.run(viewId, partitionKey(g)).changes, 0);
    });
    this.putPartitionTx = db.transaction((p: StoredPartition) => {
      if (!this.stmts.get('SELECT 1 FROM summary_views WHERE id = ?').get(p.view_id)) return false;
      this.stmts
        .get(
          `INSERT INTO summary_view_partitions (view_id, partition_key, body) VALUES (?, ?, ?)
           ON CONFLICT (view_id, partition_key) DO UPDATE SET body = excluded.body`,
        )
        .run(p.view_id, partitionKey(p.group), JSON.stringify(p));
      return true;
    });
  }

  async putView(view: StoredSummaryView): Promise<void> {
    this.stmts
      .get(
        `INSERT INTO summary_views (id, created_at, body) VALUES (?, ?, ?)
         ON CONFLICT (id) DO UPDATE SET created_at = excluded.created_at, body = excluded.body`,
      )
      .run(view.id, view.created_at, JSON.stringify(view));
  }

  async getView(id: string): Promise<StoredSummaryView | null> {
    const row = this.stmts.get('SELECT body FROM summary_views WHERE id = ?').get(id) as { body: string } | undefined;
    return row ? (JSON.parse(row.body) as StoredSummaryView) : null;
  }

  async listViews(): Promise<StoredSummaryView[]> {
    const rows = this.stmts.get('SELECT body FROM summary_views ORDER BY created_at, id').all() as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as StoredSummaryView);
  }

  async deleteView(id: string): Promise<boolean> {
    return this.deleteTx.immediate(id);
  }

  async putPartition(result: StoredPartition): Promise<boolean> {
    return this.putPartitionTx.immediate(result);
  }

  async deletePartitions(viewId: string, groups: Record<string, string>[]): Promise<number> {
    return this.deletePartitionsTx.immediate(viewId, groups);
  }

  async listPartitions(viewId: string, filter: Record<string, string | undefined>): Promise<StoredPartition[]> {
    const rows = this.stmts
      .get('SELECT body FROM summary_view_partitions WHERE view_id = ? ORDER BY partition_key')
      .all(viewId) as { body: string }[];
    return rows.map((r) => JSON.parse(r.body) as StoredPartition).filter((p) => groupMatches(p.group, filter));
  }
}
