/**
 * Summary views and their stored partition results, as a port (SQLite: store/sqlite/summary-views.ts, Redis:
 * store/redis/summary-views.ts). The store keeps what the core hands it; it does not interpret filters.
 */
export interface StoredSummaryView {
  id: string;
  name: string | null;
  source: 'long_term';
  group_by: string[];
  /** The parsed filters (search-filter shapes), as JSON. */
  filters: Record<string, unknown>;
  time_window_days: number | null;
  continuous: boolean;
  prompt: string | null;
  model_name: string | null;
  /** Epoch ms. */
  created_at: number;
}

export interface StoredPartition {
  view_id: string;
  /** One value per group_by field; the partition's identity within its view. */
  group: Record<string, string>;
  summary: string;
  memory_count: number;
  empty: boolean;
  empty_reason: string | null;
  /** Epoch ms. */
  computed_at: number;
}

/** A stable key for a group: fields sorted, names and values URI-encoded, so no two groups share one. */
export const partitionKey = (group: Record<string, string>): string =>
  Object.keys(group)
    .sort()
    .map((k) => `${encodeURIComponent(k)}=${encodeURIComponent(group[k]!)}`)
    .join('&');

/** Whether a stored group holds every value of `filter` (an empty filter keeps every group). */
export const groupMatches = (group: Record<string, string>, filter: Record<string, string | undefined>): boolean =>
  Object.entries(filter).every(([k, v]) => v === undefined || group[k] === v);

export interface SummaryViewStore {
  /** Creates or replaces the view with this id. */
  putView(view: StoredSummaryView): Promise<void>;
  getView(id: string): Promise<StoredSummaryView | null>;
  /** Every view, oldest first (created_at, then id). */
  listViews(): Promise<StoredSummaryView[]>;
  /** Deletes the view and every partition result of it; false when there was no such view. */
  deleteView(id: string): Promise<boolean>;
  /**
   * Stores a partition result, replacing the one with the same view and group; false (nothing written) when the
   * view no longer exists, so a run that outlives a delete leaves no result behind.
   */
  putPartition(result: StoredPartition): Promise<boolean>;
  /** Deletes the view's stored results for these groups; returns how many there were. */
  deletePartitions(viewId: string, groups: Record<string, string>[]): Promise<number>;
  /** The view's stored results whose group holds every value of `filter`, ordered by partitionKey. */
  listPartitions(viewId: string, filter: Record<string, string | undefined>): Promise<StoredPartition[]>;
}
