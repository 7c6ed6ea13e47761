import { ulid } from '../util/ulid.js';
import { type ClientContext, defaultTagFilter, encode, orDefault, scopeOf } from './context.js';
import { byOffset } from './paging.js';
import type {
  CompactionReport,
  CreateMemoriesResponse,
  ForgetOptions,
  ForgetReport,
  ForgetRequest,
  MemoryHistory,
  MemoryList,
  MemoryPatch,
  MemoryRecord,
  MemoryRecordResult,
  MemoryRecordResults,
  MemoryType,
  NewMemory,
  SearchQuery,
} from './types.js';

type Key = { namespace?: string | null; user_id?: string | null };

export interface ListQuery extends Key {
  session_id?: string;
  memory_type?: MemoryType;
  topics?: string[];
  entities?: string[];
  pinned?: boolean;
  limit?: number;
  offset?: number;
}

/** Long-term memory: facts and events kept across sessions, searchable by meaning and by words. */
export class LongTermApi {
  constructor(private readonly ctx: ClientContext) {}

  /**
   * Stores memories; they are searchable when this returns. Memories without an id get a ULID here (re-sending an
   * id overwrites that memory, so a retried request never stores one twice); the client's namespace and user
   * fill in those a memory names none of.
   */
  async create(memories: readonly NewMemory[], opts: { deduplicate?: boolean } = {}): Promise<CreateMemoriesResponse> {
    const { namespace, user_id } = this.ctx.defaults;
    const body = {
      memories: memories.map((m) => ({
        ...m,
        id: m.id ?? ulid(),
        namespace: orDefault(m.namespace, namespace) ?? null,
        user_id: orDefault(m.user_id, user_id) ?? null,
      })),
      deduplicate: opts.deduplicate,
    };
    const { body: out } = await this.ctx.transport.request<CreateMemoriesResponse>({
      method: 'POST',
      path: '/v1/long-term-memory',
      body,
      idempotent: true,
    });
    return out;
  }

  /** One page of ranked results. `optimizeQuery` first rewrites `text` with the server's fast model. */
  async search(query: SearchQuery = {}, opts: { optimizeQuery?: boolean } = {}): Promise<MemoryRecordResults> {
    const body = {
      ...query,
      namespace: defaultTagFilter(query.namespace, this.ctx.defaults.namespace),
      user_id: defaultTagFilter(query.user_id, this.ctx.defaults.user_id),
    };
    const { body: out } = await this.ctx.transport.request<MemoryRecordResults>({
      method: 'POST',
      path: '/v1/long-term-memory/search',
      query: { optimize_query: opts.optimizeQuery },
      body,
      idempotent: true,
    });
    return out;
  }

  /** Every result of a search, best first, fetched `pageSize` (≤ 100) at a time. */
  iterateSearch(query: SearchQuery = {}, opts: { pageSize?: number } = {}) {
    return byOffset<MemoryRecordResult>(async (offset, limit) => {
      const page = await this.search({ ...query, offset, limit });
      return { items: page.memories, next: page.next_offset };
    }, opts.pageSize ?? 50);
  }

  /** Memories matching the filters, newest first. */
  async list(query: ListQuery = {}): Promise<MemoryList> {
    const { body } = await this.ctx.transport.request<MemoryList>({
      method: 'GET',
      path: '/v1/long-term-memory',
      query: { ...query, ...scopeOf(this.ctx, query) },
      idempotent: true,
    });
    return body;
  }

  /** Every memory matching the filters, newest first. */
  iterate(query: Omit<ListQuery, 'limit' | 'offset'> & { pageSize?: number } = {}) {
    const { pageSize = 100, ...filters } = query;
    return byOffset<MemoryRecord>(async (offset, limit) => {
      const page = await this.list({ ...filters, offset, limit });
      return { items: page.memories, next: page.next_offset };
    }, pageSize);
  }

  /** One memory; MemoryNotFoundError when unknown (or outside the client's namespace). */
  async get(id: string, opts: { namespace?: string | null } = {}): Promise<MemoryRecord> {
    const { body } = await this.ctx.transport.request<MemoryRecord>({
      method: 'GET',
      path: `/v1/long-term-memory/${encode(id)}`,
      query: { namespace: orDefault(opts.namespace, this.ctx.defaults.namespace) },
      idempotent: true,
    });
    return body;
  }

  /** Changes the fields given (or a whole record a read returned, with some fields changed); re-indexes it. */
  async edit(id: string, patch: MemoryPatch): Promise<MemoryRecord> {
    const { body } = await this.ctx.transport.request<MemoryRecord>({
      method: 'PATCH',
      path: `/v1/long-term-memory/${encode(id)}`,
      body: patch,
      idempotent: true,
    });
    return body;
  }

  /** Deletes by id (only those in the client's namespace, when it has one); returns how many went. */
  async delete(ids: readonly string[], opts: { namespace?: string | null } = {}): Promise<{ deleted: number }> {
    const { body } = await this.ctx.transport.request<{ status: string }>({
      method: 'DELETE',
      path: '/v1/long-term-memory',
      query: { memory_ids: ids, namespace: orDefault(opts.namespace, this.ctx.defaults.namespace) },
      idempotent: true,
    });
    return { deleted: Number(/deleted (\d+)/.exec(body.status)?.[1] ?? 0) };
  }

  /** Removes duplicates and (with an LLM on the server) merges near-duplicates in the client's scope. */
  async compact(opts: Key = {}): Promise<CompactionReport> {
    const { body } = await this.ctx.transport.request<CompactionReport>({
      method: 'POST',
      path: '/v1/long-term-memory/compact',
      query: { ...scopeOf(this.ctx, opts) },
      idempotent: true,
    });
    return body;
  }

  /** Forgetting by policy: a dry run (only the list) unless `dry_run: false`. */
  async forget(request: ForgetRequest, opts: ForgetOptions = {}): Promise<ForgetReport> {
    const { body } = await this.ctx.transport.request<ForgetReport>({
      method: 'POST',
      path: '/v1/long-term-memory/forget',
      query: { ...opts, ...scopeOf(this.ctx, opts) },
      body: request,
      idempotent: true,
    });
    return body;
  }

  /** How a memory changed over time (also after it was deleted). */
  async history(id: string): Promise<MemoryHistory> {
    const { body } = await this.ctx.transport.request<MemoryHistory>({
      method: 'GET',
      path: `/v1/long-term-memory/${encode(id)}/history`,
      idempotent: true,
    });
    return body;
  }
}
