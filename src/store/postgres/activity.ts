import { type ActivityBody, type ActivityRow, toStored } from '../activity-rows.js';
import type { ActivityFilter, NewActivity, StoredActivity } from '../port.js';
import type { Db } from './client.js';
import { integerBound, Params } from './filter-sql.js';
import { lockExclusive } from './locks.js';

/**
 * The activity table: one row per event. A sequence hands out numbers when rows are inserted, not when they
 * commit, so appends take the schema's `activity` lock until commit: seq order is then commit order, and a stream
 * that has read up to seq N never later finds an event below N.
 */
export class ActivityRepo {
  constructor(private readonly db: Db) {}

  async append(events: NewActivity[]): Promise<void> {
    if (events.length === 0) return;
    const rows = events.map((e, ord) => ({
      ord,
      at: e.at,
      action: e.action,
      resource: e.resource,
      target_id: e.target_id,
      namespace: e.namespace,
      user_id: e.user_id,
      session_id: e.session_id,
      actor: e.actor,
      body: JSON.stringify({ before: e.before, after: e.after, details: e.details } satisfies ActivityBody),
    }));
    await this.db.tx(async (t) => {
      await lockExclusive(t, 'activity');
      await t.run(
        `INSERT INTO activity (at, action, resource, target_id, namespace, user_id, session_id, actor, body)
         SELECT v.at, v.action, v.resource, v.target_id, v.namespace, v.user_id, v.session_id, v.actor, v.body
         FROM json_to_recordset($1::json) AS v(ord integer, at bigint, action text, resource text, target_id text,
           namespace text, user_id text, session_id text, actor text, body text)
         ORDER BY v.ord`,
        [JSON.stringify(rows)],
      );
    });
  }

  async list(f: ActivityFilter, limit: number): Promise<StoredActivity[]> {
    const where: string[] = [];
    const p = new Params();
    const eq = (column: string, value: string | undefined) => {
      if (value !== undefined) where.push(`${column} = ${p.add(value)}`);
    };
    eq('namespace', f.namespace);
    eq('user_id', f.user_id);
    eq('session_id', f.session_id);
    eq('resource', f.resource);
    eq('target_id', f.target_id);
    if (f.actions?.length) where.push(`action = ANY(${p.add(f.actions)}::text[])`);
    if (f.sinceMs !== undefined) where.push(`at >= ${p.add(integerBound(f.sinceMs, '>='))}`);
    if (f.beforeSeq !== undefined) where.push(`seq < ${p.add(integerBound(f.beforeSeq, '<'))}`);
    const ascending = f.afterSeq !== undefined;
    if (ascending) where.push(`seq > ${p.add(integerBound(f.afterSeq!, '>'))}`);
    const rows = await this.db.rows<ActivityRow>(
      `SELECT * FROM activity ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
       ORDER BY seq ${ascending ? 'ASC' : 'DESC'} LIMIT ${p.add(Math.max(0, Math.floor(limit)))}`,
      p.values,
    );
    return rows.map(toStored);
  }

  async prune(beforeMs: number, limit: number): Promise<number> {
    return this.db.run(
      'DELETE FROM activity WHERE seq IN (SELECT seq FROM activity WHERE at < $1 ORDER BY at LIMIT $2)',
      [integerBound(beforeMs, '<'), Math.max(0, Math.floor(limit))],
    );
  }
}
