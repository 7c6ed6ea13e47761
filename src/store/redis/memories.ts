import { createHash } from 'node:crypto';
import { MemoryError } from '../../errors.js';
import type { StoreFilter } from '../../models/filters.js';
import type { MemoryRecord } from '../../models/memory-record.js';
import type { IndexedMemory, IndexTerms, ListOrder, Page, PutOutcome } from '../port.js';
import { aggregateRows } from './aggregate-cursor.js';
import type { RedisClient } from './client.js';
import { INIT_GENERATION } from './embedding-model-scripts.js';
import { indexFilterQuery } from './filter-query.js';
import { globPrefix, type Keys } from './keys.js';
import { type KeywordStats, keywordText } from './keyword-stats.js';
import { decodeMemory, isZeroVector, memoryFields, vectorBytes } from './memory-fields.js';
import { DELETE_MEMORIES, PUT_MEMORIES, RECORD_ACCESS, SET_INDEX_TERMS } from './memory-scripts.js';
import { tagOrNull, tagValue } from './query-escape.js';
import { scanKeys } from './scan.js';
import type { ScriptArg, ScriptRunner } from './scripts.js';
import type { Generation, SearchIndex } from './search-index.js';
import { aggregateField, idsOf } from './search-reply.js';

/** Items per write script: bounds how long one batch holds the Redis event loop. */
const PUT_BATCH = 256;

const dedupDigest = (r: MemoryRecord) =>
  createHash('sha1')
    .update(JSON.stringify([r.memory_hash, r.namespace ?? null, r.user_id ?? null]))
    .digest('hex');

export const dimensionError = (given: number, stored: number) =>
  new MemoryError('invalid', `vector has dimension ${given}, but this database stores dimension ${stored}`);

export class MemoryRepo {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly scripts: ScriptRunner,
    private readonly index: SearchIndex,
    private readonly stats: KeywordStats,
  ) {}

  /** The live generation, created with `dim` when the store has none yet (as SQLite creates its vector tables). */
  private async generation(dim: number): Promise<Generation> {
    const g = await this.index.current();
    if (g) return g;
    await this.scripts.run(INIT_GENERATION, [this.keys.meta], [dim]);
    return (await this.index.current())!;
  }

  async put(items: IndexedMemory[], deduplicate: boolean): Promise<PutOutcome[]> {
    this.index.requireSearch();
    if (items.length === 0) return [];
    // Encoding first means a bad date fails the call before anything is written.
    const encoded = items.map((item) => {
      const text = keywordText(item.terms, item.contextTerms);
      return { item, entry: text.entry, fields: memoryFields(item, text, this.index.attributePaths) };
    });
    const g = await this.generation(items[0]!.vector.length);
    for (const { item } of encoded) if (item.vector.length !== g.dim) throw dimensionError(item.vector.length, g.dim);
    const out: PutOutcome[] = [];
    for (let i = 0; i < encoded.length; i += PUT_BATCH) {
      const batch = encoded.slice(i, i + PUT_BATCH);
      const keys = [this.keys.meta, this.keys.seq, this.keys.reembedTodo, ...this.stats.scriptKeys];
      const args: ScriptArg[] = [deduplicate ? '1' : '0', batch.length];
      for (const { item, entry, fields } of batch) {
        const r = item.record;
        keys.push(this.keys.memory(r.id), this.keys.dedup(dedupDigest(r)));
        const zero = isZeroVector(item.vector);
        const vec = zero ? '' : vectorBytes(item.vector);
        args.push(r.id, item.vector.length, zero ? '0' : '1', vec, entry, fields.length);
        for (const [f, v] of fields) args.push(f, v);
      }
      let reply: [string, string][];
      try {
        reply = await this.scripts.run<[string, string][]>(PUT_MEMORIES, [...keys, this.keys.writeVersion], args);
      } catch (err) {
        const dim = /DIMENSION (\d+) (\d+)/.exec((err as Error).message ?? '');
        if (dim) throw dimensionError(Number(dim[2]), Number(dim[1]));
        throw err;
      }
      batch.forEach(({ item }, j) => {
        const [status, existing] = reply[j]!;
        const id = item.record.id;
        out.push(status === 'duplicate' ? { status, id, existing_id: existing! } : { status: status as 'created', id });
      });
    }
    return out;
  }

  async get(ids: string[]): Promise<MemoryRecord[]> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return [];
    const pipe = this.client.pipeline();
    for (const id of unique) pipe.hmget(this.keys.memory(id), 'doc', 'access_count', 'last_accessed');
    const replies = (await pipe.exec()) ?? [];
    const out: MemoryRecord[] = [];
    replies.forEach(([err, values]) => {
      if (err) throw err;
      const [doc, count, last] = values as [string | null, string | null, string | null];
      if (doc && count !== null && last !== null) out.push(decodeMemory(doc, count, last));
    });
    return out;
  }

  async delete(ids: string[]): Promise<number> {
    const unique = [...new Set(ids)];
    if (unique.length === 0) return 0;
    const keys = [this.keys.reembedTodo, ...this.stats.scriptKeys, ...unique.map((id) => this.keys.memory(id))];
    return Number(await this.scripts.run(DELETE_MEMORIES, [...keys, this.keys.writeVersion], unique));
  }

  async count(filter: StoreFilter): Promise<number> {
    this.index.requireSearch();
    const g = await this.index.current();
    if (!g) return 0;
    const f = await indexFilterQuery(this.client, g.index, filter);
    return f ? this.countQuery(g.index, f.query) : 0;
  }

  /** Text and content bytes as the SQL stores count them, from each filtered memory's `doc`, streamed. */
  async contentBytes(filter: StoreFilter): Promise<number> {
    this.index.requireSearch();
    const g = await this.index.current();
    if (!g) return 0;
    const f = await indexFilterQuery(this.client, g.index, filter);
    if (!f) return 0;
    let bytes = 0;
    for await (const batch of aggregateRows(this.client, g.index, f.query, { load: ['doc'] })) {
      for (const r of batch) {
        const doc = JSON.parse(r.doc ?? '{}') as { text?: string; content?: unknown };
        bytes += Buffer.byteLength(doc.text ?? '', 'utf8');
        if (doc.content !== undefined && doc.content !== null) bytes += Buffer.byteLength(JSON.stringify(doc.content));
      }
    }
    return bytes;
  }

  /** The agents with memories in STM or IM: one FT.AGGREGATE grouped by agent (tag values are hex). */
  async tieredAgents(scope: { namespace?: string }): Promise<string[]> {
    this.index.requireSearch();
    const g = await this.index.current();
    if (!g) return [];
    const tiers = `@memory_tier:{${tagValue('stm')} | ${tagValue('im')}}`;
    const query = scope.namespace === undefined ? tiers : `${tiers} @namespace:{${tagValue(scope.namespace)}}`;
    const reply = (await this.client.call(
      'FT.AGGREGATE',
      g.index,
      query,
      'GROUPBY',
      1,
      '@agent_id',
      'DIALECT',
      2,
    )) as unknown[];
    return aggregateField(reply, 'agent_id')
      .filter((v) => /^(?:[0-9a-f]{2})+$/.test(v))
      .map((hex) => Buffer.from(hex, 'hex').toString('utf8'))
      .sort();
  }

  /** How many memories a search query matches. */
  async countQuery(index: string, query: string): Promise<number> {
    const reply = (await this.client.call('FT.SEARCH', index, query, 'LIMIT', 0, 0, 'DIALECT', 2)) as unknown[];
    return Number(reply[0]);
  }

  /** Newest first, created_at ties by id: FT.AGGREGATE sorts on both sortable fields, then the page is loaded. */
  async list(
    filter: StoreFilter,
    limit: number,
    offset: number,
    count = true,
    order?: ListOrder,
  ): Promise<Page<MemoryRecord>> {
    this.index.requireSearch();
    const g = await this.index.current();
    const f = g ? await indexFilterQuery(this.client, g.index, filter) : null;
    if (!f || !g) return { items: [], total: 0 };
    const total = count ? await this.countQuery(g.index, f.query) : Number.POSITIVE_INFINITY;
    const take = Math.max(0, Math.floor(limit));
    const skip = Math.max(0, Math.floor(offset));
    if (take === 0 || skip >= total) return { items: [], total: count ? total : 0 };
    const lead =
      order === 'importance'
        ? ['@importance', 'DESC']
        : order === 'step_number'
          ? ['@step_number', 'DESC']
          : order === 'step_number_asc'
            ? ['@step_number', 'ASC']
            : order === 'tier_step'
              ? ['@tier_step', 'DESC']
              : [];
    const reply = (await this.client.call(
      'FT.AGGREGATE',
      g.index,
      f.query,
      'SORTBY',
      4 + lead.length,
      ...lead,
      '@created_at',
      'DESC',
      '@id',
      'ASC',
      'MAX',
      skip + take,
      'LIMIT',
      skip,
      take,
      'DIALECT',
      2,
    )) as unknown[];
    const items = await this.get(aggregateField(reply, 'id'));
    return { items, total: count ? total : items.length };
  }

  async sessionTail(namespace: string | null, sessionId: string, n: number): Promise<MemoryRecord[]> {
    this.index.requireSearch();
    const g = await this.index.current();
    const take = Math.max(0, Math.floor(n));
    if (!g || take === 0) return [];
    const query = `@session_id:{${tagValue(sessionId)}} @namespace:{${tagOrNull(namespace)}}`;
    const reply = (await this.client.call(
      'FT.SEARCH',
      g.index,
      query,
      'NOCONTENT',
      'SORTBY',
      'seq',
      'DESC',
      'LIMIT',
      0,
      take,
      'DIALECT',
      2,
    )) as unknown[];
    return (await this.get(idsOf(reply, this.keys.memoryPrefix).ids)).reverse();
  }

  async setIndexTerms(entries: IndexTerms[]): Promise<void> {
    if (entries.length === 0) return;
    await this.scripts.run(
      SET_INDEX_TERMS,
      [...this.stats.scriptKeys, ...entries.map((e) => this.keys.memory(e.id)), this.keys.writeVersion],
      entries.flatMap((e) => {
        const text = keywordText(e.terms, e.contextTerms);
        return [e.id, text.terms, text.context, text.entry];
      }),
    );
  }

  async recordAccess(ids: string[], atMs: number): Promise<void> {
    if (ids.length === 0) return;
    await this.scripts.run(
      RECORD_ACCESS,
      ids.map((id) => this.keys.memory(id)),
      [atMs],
    );
  }

  /** Export: SCAN over memory hashes, in pages. */
  async *all(): AsyncGenerator<MemoryRecord> {
    const prefix = this.keys.memoryPrefix;
    const seen = new Set<string>();
    for await (const batch of scanKeys(this.client, globPrefix(prefix))) {
      const ids = batch.filter((k) => !seen.has(k)).map((k) => k.slice(prefix.length));
      for (const id of ids) seen.add(prefix + id);
      yield* await this.get(ids);
    }
  }
}
