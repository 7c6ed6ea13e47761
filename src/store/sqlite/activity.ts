import { type ActivityBody, type ActivityRow, toStored } from '../activity-rows.js';
import { packPayload } from '../payload-codec.js';
import type { ActivityFilter, NewActivity, StoredActivity } from '../port.js';
import type { Db } from './open.js';
import type { StatementCache } from './statements.js';

/** The activity table: one row per event, seq in commit order (AUTOINCREMENT never reuses a number). */
export class ActivityRepo {
  private readonly appendTx;

  /** SQLITE_COMPRESS: bodies are stored compressed (payload-codec.ts); readers take either form. */
  compress = true;

  constructor(
    db: Db,
    private readonly stmts: StatementCache,
  ) {
    this.appendTx = db.transaction((events: NewActivity[]) => {
      const stmt = this.stmts.get(
        'INSERT INTO activity (at, action, resource, target_id, namespace, user_id, session_id, actor, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)',
      );
      for (const e of events) {
        const body: ActivityBody = { before: e.before, after: e.after, details: e.details };
        stmt.run(
          e.at,
          e.action,
          e.resource,
          e.target_id,
          e.namespace,
          e.user_id,
          e.session_id,
          e.actor,
          this.compress ? packPayload(JSON.stringify(body)) : JSON.stringify(body),
        );
      }
    });
  }

  append(events: NewActivity[]): void {
    if (events.length) this.appendTx.immediate(events);
  }

  list(f: ActivityFilter, limit: number): StoredActivity[] {
    const where: string[] = [];
    const params: unknown[] = [];
    const eq = (column: string, value: string | undefined) => {
      if (value === undefined) return;
      where.push(`${column} = ?`);
      params.push(value);
    };
    eq('namespace', f.namespace);
    eq('user_id', f.user_id);
    eq('session_id', f.session_id);
    eq('resource', f.resource);
    eq('target_id', f.target_id);
    if (f.actions?.length) {
      where.push('action IN (SELECT value FROM json_each(?))');
      params.push(JSON.stringify(f.actions));
    }
    if (f.sinceMs !== undefined) {
      where.push('at >= ?');
      params.push(f.sinceMs);
    }
    if (f.beforeSeq !== undefined) {
      where.push('seq < ?');
      params.push(f.beforeSeq);
    }
    const ascending = f.afterSeq !== undefined;
    if (ascending) {
      where.push('seq > ?');
      params.push(f.afterSeq);
    }
    const sql = `SELECT * FROM activity ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY seq ${ascending ? 'ASC' : 'DESC'} LIMIT ?`;
    return (this.stmts.get(sql).all(...params, Math.max(0, limit)) as ActivityRow[]).map(toStored);
  }

  prune(beforeMs: number, limit: number): number {
    return this.stmts
      .get('DELETE FROM activity WHERE seq IN (SELECT seq FROM activity WHERE at < ? ORDER BY at LIMIT ?)')
      .run(beforeMs, Math.max(0, limit)).changes;
  }
}
