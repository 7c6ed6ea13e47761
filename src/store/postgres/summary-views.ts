import {
  groupMatches,
  partitionKey,
  type StoredPartition,
  type StoredSummaryView,
  type SummaryViewStore,
} from '../summary-views.js';
import type { Db } from './client.js';

/**
 * Summary views on PostgreSQL: one row per view and per partition result, each the port's record as JSON. A
 * partition's foreign key to its view makes "no result for a deleted view" hold whatever the interleaving.
 */
export class PostgresSummaryViewStore implements SummaryViewStore {
  constructor(private readonly db: Db) {}

  async putView(view: StoredSummaryView): Promise<void> {
    await this.db.run(
      `INSERT INTO summary_views (id, created_at, body) VALUES ($1, $2, $3)
       ON CONFLICT (id) DO UPDATE SET created_at = EXCLUDED.created_at, body = EXCLUDED.body`,
      [view.id, view.created_at, JSON.stringify(view)],
    );
  }

  async getView(id: string): Promise<StoredSummaryView | null> {
    const row = await this.db.one<{ body: string }>('SELECT body FROM summary_views WHERE id = $1', [id]);
    return row ? (JSON.parse(row.body) as StoredSummaryView) : null;
  }

  async listViews(): Promise<StoredSummaryView[]> {
    const rows = await this.db.rows<{ body: string }>('SELECT body FROM summary_views ORDER BY created_at, id');
    return rows.map((r) => JSON.parse(r.body) as StoredSummaryView);
  }

  async deleteView(id: string): Promise<boolean> {
    // Its partition results go by ON DELETE CASCADE, in the same statement.
    return (await this.db.run('DELETE FROM summary_views WHERE id = $1', [id])) > 0;
  }

  async putPartition(p: StoredPartition): Promise<boolean> {
    // Inserting only where the view exists, in one statement; the foreign key check locks the view's row, so a
    // delete either comes first (nothing written, or the key check fails) or waits and then removes this too.
    try {
      const n = await this.db.run(
        `INSERT INTO summary_view_partitions (view_id, partition_key, body)
         SELECT id, $2, $3 FROM summary_views WHERE id = $1
         ON CONFLICT (view_id, partition_key) DO UPDATE SET body = EXCLUDED.body`,
        [p.view_id, partitionKey(p.group), JSON.stringify(p)],
      );
      return n > 0;
    } catch (err) {
      if ((err as { code?: string }).code === '23503') return false;
      throw err;
    }
  }

  async deletePartitions(viewId: string, groups: Record<string, string>[]): Promise<number> {
    if (groups.length === 0) return 0;
    return this.db.run('DELETE FROM summary_view_partitions WHERE view_id = $1 AND partition_key = ANY($2::text[])', [
      viewId,
      [...new Set(groups.map(partitionKey))],
    ]);
  }

  async listPartitions(viewId: string, filter: Record<string, string | undefined>): Promise<StoredPartition[]> {
    const rows = await this.db.rows<{ body: string }>(
      'SELECT body FROM summary_view_partitions WHERE view_id = $1 ORDER BY partition_key',
      [viewId],
    );
    return rows.map((r) => JSON.parse(r.body) as StoredPartition).filter((p) => groupMatches(p.group, filter));
  }
}
