import type { Db, Statement } from './open.js';

/**
 * Prepared statements keyed by their SQL. Filtered queries build their SQL from the filter's shape (never its
 * values), so the number of distinct statements stays small and each is prepared once.
 */
export class StatementCache {
  private readonly cache = new Map<string, Statement>();

  constructor(
    private readonly db: Db,
    private readonly max = 512,
  ) {}

  get(sql: string): Statement {
    let stmt = this.cache.get(sql);
    if (!stmt) {
      // Only pathological filter variety gets here; starting over is simpler than LRU bookkeeping.
      if (this.cache.size >= this.max) this.cache.clear();
      stmt = this.db.prepare(sql);
      this.cache.set(sql, stmt);
    }
    return stmt;
  }
}
