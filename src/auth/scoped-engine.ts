import type { CompactOptions } from '../core/compact.js';
import type { Engine, MemoryEngine } from '../core/engine.js';
import type { RecordDefaults } from '../core/records.js';
import type { WindowOptions } from '../core/working-memory.js';
import { conflict, notFound } from '../errors.js';
import type { MemoryFilter } from '../models/filters.js';
import type { MemoryRecordPatch } from '../models/memory-record.js';
import type { SearchRequestInput } from '../models/search.js';
import type { SessionKey, SessionQuery } from '../store/port.js';
import { canSee, confineFields, confineFilters, confineValue, requireAccess } from './confine.js';
import { type AccessScope, isUnconfined } from './identity.js';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The engine as a scoped caller sees it. REST routes and MCP tools both act through this facade, so a token for
 * namespace A can neither read nor write B by any route, and memories of B fetched by id are simply not found.
 */
export function scopeEngine(engine: Engine, scope: AccessScope | undefined): MemoryEngine {
  if (!scope || isUnconfined(scope)) return engine;
  const lt = engine.longTerm;
  const wm = engine.workingMemory;
  const sessionQuery = <Q extends SessionQuery>(q: Q): Q => confineFields(scope, q, '');

  // An id names one memory everywhere: re-sending an id from another namespace must not overwrite it.
  const refuseForeignIds = async (items: unknown[], where: string) => {
    const ids = items.flatMap((m) => (isObject(m) && typeof m.id === 'string' ? [m.id.trim()] : []));
    if (!ids.length) return;
    for (const record of await engine.store.getMemories(ids)) {
      if (!canSee(scope, record)) throw conflict(`${where}: the id "${record.id}" is taken; choose another id.`);
    }
  };

  const visible = async (id: string) => {
    const record = await lt.get(id);
    if (!canSee(scope, record)) throw notFound(`No long-term memory with id "${id}".`);
    return record;
  };

  return {
    config: engine.config,
    longTerm: {
      async create(inputs: unknown[], opts: { deduplicate?: boolean; defaults?: RecordDefaults } = {}) {
        requireAccess(scope, 'write', 'Storing memories');
        const confined = inputs.map((m, i) => confineFields(scope, m, `memories[${i}].`));
        await refuseForeignIds(confined, 'memories');
        const defaults = confineFields(scope, { ...opts.defaults }, 'defaults.');
        return lt.create(confined, { ...opts, defaults });
      },
      async get(id: string) {
        requireAccess(scope, 'read', 'Reading memories');
        return visible(id);
      },
      async edit(id: string, patch: MemoryRecordPatch) {
        requireAccess(scope, 'write', 'Editing memories');
        await visible(id);
        const confined = { ...patch };
        if (patch.namespace !== undefined)
          confined.namespace = confineValue(scope, 'namespace', patch.namespace) as string;
        if (patch.user_id !== undefined && scope.user_id)
          confined.user_id = confineValue(scope, 'user_id', patch.user_id) as string;
        return lt.edit(id, confined);
      },
      async delete(ids: string[]) {
        requireAccess(scope, 'write', 'Deleting memories');
        if (ids.length === 0) return lt.delete(ids);
        const own = (await engine.store.getMemories([...new Set(ids)]))
          .filter((r) => canSee(scope, r))
          .map((r) => r.id);
        return own.length ? lt.delete(own) : 0;
      },
      async list(filter: Partial<MemoryFilter>, limit: number, offset: number) {
        requireAccess(scope, 'read', 'Listing memories');
        return lt.list(confineFilters(scope, filter), limit, offset);
      },
      async search(raw: SearchRequestInput, opts?: { touch?: boolean }) {
        requireAccess(scope, 'read', 'Searching memories');
        return lt.search(confineFilters(scope, raw), opts);
      },
    },
    workingMemory: {
      async get(query: SessionQuery, opts?: WindowOptions & { recent_messages_limit?: number | null }) {
        requireAccess(scope, 'read', 'Reading working memory');
        return wm.get(sessionQuery(query), opts);
      },
      async find(query: SessionQuery, recentMessagesLimit?: number) {
        requireAccess(scope, 'read', 'Reading working memory');
        return wm.find(sessionQuery(query), recentMessagesLimit);
      },
      async put(sessionId: string, raw: unknown, opts?: WindowOptions) {
        requireAccess(scope, 'write', 'Writing working memory');
        let body = confineFields(scope, raw, '');
        if (isObject(body) && Array.isArray(body.memories)) {
          const memories = body.memories.map((m, i) => confineFields(scope, m, `memories[${i}].`));
          // Promoted later, these would overwrite a memory with the same id: refused now, as create refuses it.
          await refuseForeignIds(memories, 'memories');
          body = { ...body, memories };
        }
        return wm.put(sessionId, body, opts);
      },
      async append(key: SessionKey, messages: unknown, opts?: Parameters<Engine['workingMemory']['append']>[2]) {
        requireAccess(scope, 'write', 'Appending messages');
        return wm.append(sessionQuery(key), messages, opts);
      },
      async fork(query: SessionQuery, opts?: Parameters<Engine['workingMemory']['fork']>[1]) {
        requireAccess(scope, 'write', 'Forking working memory');
        // The copy lands in the source's namespace and user, which the query has confined.
        return wm.fork(sessionQuery(query), opts);
      },
      async delete(query: SessionQuery) {
        requireAccess(scope, 'write', 'Deleting working memory');
        return wm.delete(sessionQuery(query));
      },
      async list(filter: { namespace?: string | null; user_id?: string | null }, limit: number, offset: number) {
        requireAccess(scope, 'read', 'Listing sessions');
        return wm.list(confineFields(scope, filter, ''), limit, offset);
      },
    },
    activity: {
      async page(raw: unknown) {
        requireAccess(scope, 'read', 'Reading the activity stream');
        return engine.activity.page(confineFields(scope, raw ?? {}, ''));
      },
      async follow(raw: unknown, lastId: string | undefined, signal: AbortSignal) {
        requireAccess(scope, 'read', 'Reading the activity stream');
        return engine.activity.follow(confineFields(scope, raw ?? {}, ''), lastId, signal);
      },
      async history(memoryId: string) {
        requireAccess(scope, 'read', 'Reading memory history');
        const history = await engine.activity.history(memoryId);
        // A memory of another namespace or user has no history for this caller, deleted or not.
        const events = history.events.filter((e) => canSee(scope, e));
        if (events.length === 0) {
          await visible(memoryId);
        }
        return { ...history, events };
      },
      async recordRead(key: SessionKey) {
        requireAccess(scope, 'read', 'Reading working memory');
        return engine.activity.recordRead(confineFields(scope, key, ''));
      },
    },
    async eraseUser(raw: unknown) {
      const own = isObject(raw) && scope.user_id && raw.user_id === scope.user_id;
      // Erasing oneself needs write access; erasing another user of the namespace, admin.
      requireAccess(scope, own ? 'write' : 'admin', own ? 'Erasing your data' : "Erasing another user's data");
      return engine.eraseUser(confineFields(scope, raw, ''));
    },
    async stats(raw: unknown) {
      requireAccess(scope, 'read', 'Reading statistics');
      return engine.stats(confineFields(scope, raw ?? {}, ''));
    },
    async memoryPrompt(raw: unknown) {
      requireAccess(scope, 'read', 'Building a memory prompt');
      if (!isObject(raw)) return engine.memoryPrompt(raw);
      const req = { ...raw };
      if (isObject(req.session)) req.session = confineFields(scope, req.session, 'session.');
      if (isObject(req.long_term_search)) req.long_term_search = confineFilters(scope, req.long_term_search);
      return engine.memoryPrompt(req);
    },
    async compact(opts: CompactOptions = {}) {
      requireAccess(scope, 'write', 'Compacting memories');
      return engine.compact(ownScope(scope, opts));
    },
    async forget(body: unknown, opts: Record<string, unknown>) {
      requireAccess(scope, 'write', 'Forgetting memories');
      return engine.forget(body, ownScope(scope, opts));
    },
    async getTask(id: string) {
      requireAccess(scope, 'read', 'Reading tasks');
      const task = await engine.getTask(id);
      // Tasks of other namespaces or users, and store-wide ones (scheduled compaction), do not exist for this caller.
      if (!canSee(scope, task)) throw notFound(`No task with id "${id}".`);
      return task;
    },
    async optimizeQuery(text: string) {
      requireAccess(scope, 'read', 'Optimizing a search query');
      return engine.optimizeQuery(text);
    },
    llmStatus: () => engine.llmStatus(),
  };
}

/**
 * The namespace and user of a store-wide operation (compaction, forgetting) for a confined caller: naming none
 * means the caller's own, never the whole store; naming another is refused.
 */
function ownScope<T extends { namespace?: unknown; user_id?: unknown }>(scope: AccessScope, opts: T): T {
  const confined = { ...opts, namespace: confineValue(scope, 'namespace', opts.namespace) };
  if (scope.user_id) confined.user_id = confineValue(scope, 'user_id', opts.user_id);
  return confined;
}
