import {
  groupMatches,
  partitionKey,
  type StoredPartition,
  type StoredSummaryView,
  type SummaryViewStore,
} from '../summary-views.js';
import type { RedisClient } from './client.js';
import type { Keys } from './keys.js';
import type { ScriptRunner } from './scripts.js';

/** KEYS: view, partitions hash. ARGV: partition key, body. Writes only while the view exists. */
const PUT_PARTITION = `
if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
redis.call('HSET', KEYS[2], ARGV[1], ARGV[2])
return 1
`;

/** KEYS: views set, view, partitions hash. ARGV: view id. */
const DELETE_VIEW = `
local existed = redis.call('DEL', KEYS[2])
redis.call('DEL', KEYS[3])
redis.call('ZREM', KEYS[1], ARGV[1])
return existed
`;

/**
 * Summary views on Redis, plain keys (no search module): each view a JSON string listed by a sorted set, its
 * partition results one hash. Writes that touch several keys are Lua scripts, so a delete and a run's write of a
 * partition never interleave into an orphaned result.
 */
export class RedisSummaryViewStore implements SummaryViewStore {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly scripts: ScriptRunner,
    private readonly guard: <T>(fn: () => Promise<T>) => Promise<T>,
  ) {}

  putView(view: StoredSummaryView): Promise<void> {
    return this.guard(async () => {
      const replies = await this.client
        .multi()
        .set(this.keys.summaryView(view.id), JSON.stringify(view))
        .zadd(this.keys.summaryViews, String(view.created_at), view.id)
        .exec();
      const failed = replies?.find(([err]) => err)?.[0];
      if (failed) throw failed;
    });
  }

  getView(id: string): Promise<StoredSummaryView | null> {
    return this.guard(async () => {
      const raw = await this.client.get(this.keys.summaryView(id));
      return raw === null ? null : (JSON.parse(raw) as StoredSummaryView);
    });
  }

  listViews(): Promise<StoredSummaryView[]> {
    return this.guard(async () => {
      const ids = await this.client.zrange(this.keys.summaryViews, '0', '-1');
      if (!ids.length) return [];
      const bodies = await this.client.mget(...ids.map((id) => this.keys.summaryView(id)));
      return bodies
        .flatMap((b) => (b === null ? [] : [JSON.parse(b) as StoredSummaryView]))
        .sort((a, b) => a.created_at - b.created_at || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    });
  }

  deleteView(id: string): Promise<boolean> {
    return this.guard(async () => {
      const keys = [this.keys.summaryViews, this.keys.summaryView(id), this.keys.summaryViewPartitions(id)];
      return (await this.scripts.run<number>(DELETE_VIEW, keys, [id])) === 1;
    });
  }

  putPartition(result: StoredPartition): Promise<boolean> {
    return this.guard(async () => {
      const keys = [this.keys.summaryView(result.view_id), this.keys.summaryViewPartitions(result.view_id)];
      const args = [partitionKey(result.group), JSON.stringify(result)];
      return (await this.scripts.run<number>(PUT_PARTITION, keys, args)) === 1;
    });
  }

  deletePartitions(viewId: string, groups: Record<string, string>[]): Promise<number> {
    if (!groups.length) return Promise.resolve(0);
    return this.guard(() => this.client.hdel(this.keys.summaryViewPartitions(viewId), ...groups.map(partitionKey)));
  }

  listPartitions(viewId: string, filter: Record<string, string | undefined>): Promise<StoredPartition[]> {
    return this.guard(async () => {
      const all = await this.client.hgetall(this.keys.summaryViewPartitions(viewId));
      return Object.keys(all)
        .sort()
        .map((k) => JSON.parse(all[k]!) as StoredPartition)
        .filter((p) => groupMatches(p.group, filter));
    });
  }
}
