import type { MemoryRecord } from '../../models/memory-record.js';
import type { ActivityFilter, NewActivity, StoredActivity } from '../port.js';
import { APPEND_ACTIVITY, DELETE_ACTIVITY, PRUNE_ACTIVITY } from './activity-scripts.js';
import type { RedisClient } from './client.js';
import { fromKeyPart, type Keys, keyPart } from './keys.js';
import type { ScriptRunner } from './scripts.js';

/** Events read per round trip while a filtered listing fills its page. */
const CHUNK = 200;
/** Events written or deleted per script call, so no single call blocks Redis for long. */
const BATCH = 500;

const targetPart = (id: string) => encodeURIComponent(id);

function decode(h: Record<string, string>): StoredActivity {
  const body = JSON.parse(h.body ?? '{}') as {
    before?: MemoryRecord | null;
    after?: MemoryRecord | null;
    details?: Record<string, unknown>;
  };
  return {
    seq: Number(h.seq),
    at: Number(h.at),
    action: h.action as StoredActivity['action'],
    resource: h.resource as StoredActivity['resource'],
    target_id: decodeURIComponent(h.target ?? ''),
    namespace: fromKeyPart(h.ns ?? '_'),
    user_id: fromKeyPart(h.user ?? '_'),
    session_id: fromKeyPart(h.sid ?? '_'),
    actor: h.actor ?? '',
    before: body.before ?? null,
    after: body.after ?? null,
    details: body.details ?? {},
  };
}

const matches = (f: ActivityFilter, e: StoredActivity) =>
  (f.namespace === undefined || e.namespace === f.namespace) &&
  (f.user_id === undefined || e.user_id === f.user_id) &&
  (f.session_id === undefined || e.session_id === f.session_id) &&
  (f.resource === undefined || e.resource === f.resource) &&
  (f.target_id === undefined || e.target_id === f.target_id) &&
  (!f.actions?.length || f.actions.includes(e.action)) &&
  (f.sinceMs === undefined || e.at >= f.sinceMs);

/** The activity stream on Redis (see activity-scripts.ts). Needs no search module. */
export class ActivityRepo {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly scripts: ScriptRunner,
  ) {}

  /** Passed as the scripts' one key, so a Cluster runs them on the slot that holds every key of the store. */
  private get all(): string {
    return `${this.keys.base}acts`;
  }

  async append(events: NewActivity[]): Promise<void> {
    for (let i = 0; i < events.length; i += BATCH) {
      const args = events
        .slice(i, i + BATCH)
        .flatMap((e) => [
          e.at,
          e.action,
          e.resource,
          targetPart(e.target_id),
          keyPart(e.namespace),
          keyPart(e.user_id),
          keyPart(e.session_id),
          e.actor,
          JSON.stringify({ before: e.before, after: e.after, details: e.details }),
        ]);
      await this.scripts.run(APPEND_ACTIVITY, [this.all], [this.keys.base, ...args]);
    }
  }

  /** The narrowest index set the filter allows; the other conditions are checked on each event. */
  private indexOf(f: ActivityFilter): string {
    const b = this.keys.base;
    if (f.target_id !== undefined) return `${b}acts:target:${targetPart(f.target_id)}`;
    if (f.user_id !== undefined) return `${b}acts:user:${keyPart(f.user_id)}`;
    if (f.namespace !== undefined) return `${b}acts:ns:${keyPart(f.namespace)}`;
    return `${b}acts`;
  }

  async list(f: ActivityFilter, limit: number): Promise<StoredActivity[]> {
    const out: StoredActivity[] = [];
    if (limit <= 0) return out;
    const set = this.indexOf(f);
    const ascending = f.afterSeq !== undefined;
    // Exclusive bounds in seq order; the cursor moves past each chunk read.
    let bound = ascending ? f.afterSeq! : (f.beforeSeq ?? Number.POSITIVE_INFINITY);
    for (;;) {
      const seqs = ascending
        ? await this.client.zrangebyscore(set, `(${bound}`, '+inf', 'LIMIT', 0, CHUNK)
        : await this.client.zrevrangebyscore(
            set,
            Number.isFinite(bound) ? `(${bound}` : '+inf',
            '-inf',
            'LIMIT',
            0,
            CHUNK,
          );
      if (seqs.length === 0) return out;
      const pipe = this.client.pipeline();
      for (const s of seqs) pipe.hgetall(`${this.keys.base}act:${s}`);
      const replies = (await pipe.exec()) ?? [];
      for (const [err, value] of replies) {
        if (err) throw err;
        const h = value as Record<string, string>;
        if (!h.seq) continue;
        const e = decode(h);
        // Newest first: once older than `since`, every later event is too.
        if (!ascending && f.sinceMs !== undefined && e.at < f.sinceMs) return out;
        if (matches(f, e)) out.push(e);
        if (out.length >= limit) return out;
      }
      bound = Number(seqs[seqs.length - 1]);
    }
  }

  async prune(beforeMs: number, limit: number): Promise<number> {
    return Number(await this.scripts.run(PRUNE_ACTIVITY, [this.all], [this.keys.base, beforeMs, Math.max(0, limit)]));
  }

  async deleteForUser(userId: string, namespace?: string): Promise<number> {
    const set = `${this.keys.base}acts:user:${keyPart(userId)}`;
    const nsPart = namespace === undefined ? undefined : keyPart(namespace);
    let total = 0;
    let offset = 0;
    for (;;) {
      const seqs = await this.client.zrange(set, String(offset), String(offset + BATCH - 1));
      if (seqs.length === 0) return total;
      let doomed = seqs;
      if (nsPart !== undefined) {
        const pipe = this.client.pipeline();
        for (const s of seqs) pipe.hget(`${this.keys.base}act:${s}`, 'ns');
        const replies = (await pipe.exec()) ?? [];
        doomed = seqs.filter((_, i) => replies[i]?.[1] === nsPart);
        // Events of other namespaces stay in the set: page past them.
        offset += seqs.length - doomed.length;
      }
      if (doomed.length)
        total += Number(await this.scripts.run(DELETE_ACTIVITY, [this.all], [this.keys.base, ...doomed]));
    }
  }
}
