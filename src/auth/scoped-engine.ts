import type { CompactOptions } from '../core/compact.js';
import type { Engine, MemoryEngine } from '../core/engine.js';
import { placeIds, QUALIFIER_MARK, qualifiedId, resolveIds, unqualify } from '../core/memory-ids.js';
import type { RecordDefaults } from '../core/records.js';
import { viewScope } from '../core/summary-views.js';
import type { WindowOptions } from '../core/working-memory.js';
import { conflict, invalid, MemoryError, notFound } from '../errors.js';
import type { MemoryFilter } from '../models/filters.js';
import type { MemoryRecord, MemoryRecordPatch } from '../models/memory-record.js';
import type { SearchRequestInput } from '../models/search.js';
import type { SessionKey, SessionQuery } from '../store/port.js';
import { canSee, confineFields, confineFilters, confineValue, requireAccess } from './confine.js';
import { type AccessScope, isUnconfined } from './identity.js';
import { quotasOf } from './quotas.js';

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

  const ns = scope.namespace;
  const quotas = quotasOf(engine);
  const owns = (r: MemoryRecord) => canSee(scope, r);
  const getMemories = (ids: string[]) => engine.store.getMemories(ids);
  const out = <T>(value: T): T => unqualify(value, ns);
  const refuseMark = (ids: string[], where: string) => {
    const bad = ids.find((id) => id.includes(QUALIFIER_MARK));
    if (bad !== undefined) throw invalid(`${where}: an id may not contain the control character U+001F.`);
  };

  // An id another namespace holds is stored under this namespace's qualified form (memory-ids.ts): the caller can
  // use any id, and neither a refusal nor a later read tells it that the id exists elsewhere.
  const placeForeignIds = async (items: unknown[], where: string) => {
    const ids = items.flatMap((m) => (isObject(m) && typeof m.id === 'string' ? [m.id.trim()] : []));
    refuseMark(ids, where);
    if (!ids.length) return { items, fresh: items.length };
    const places = await placeIds(getMemories, ids, ns, owns);
    // Memories without an id (a ULID is assigned) and ids stored nowhere yet are new: they count against the quota.
    let fresh = 0;
    const placed = items.map((m) => {
      if (!isObject(m) || typeof m.id !== 'string') {
        fresh += 1;
        return m;
      }
      const place = places.get(m.id.trim());
      if (!place || 'refused' in place) {
        throw conflict(
          `${where}: the id "${m.id.trim()}" is taken by another user of this namespace; choose another id.`,
        );
      }
      if (!place.existing) fresh += 1;
      return { ...m, id: place.stored };
    });
    return { items: placed, fresh };
  };

  // A session that already exists may always be written; a new one, or more messages, need room in the quota.
  const admitSessionWrite = async (key: unknown, messages: number, opts: { count?: boolean } = {}) => {
    if (!quotas.active) return;
    try {
      await quotas.admit(ns, { sessions: 1 });
    } catch (err) {
      const query = isObject(key) && typeof key.session_id === 'string' ? (key as unknown as SessionQuery) : null;
      if (!query || !(await engine.store.getSession(sessionQuery(query), { touch: false }))) throw err;
    }
    if (messages > 0) await quotas.admit(ns, { messages }, opts);
  };

  const storedIds = async (ids: string[], where: string) => {
    refuseMark(ids, where);
    const resolved = await resolveIds(getMemories, ids, ns, owns);
    return ids.map((id) => resolved.get(id) ?? id);
  };

  const activityFilter = async (raw: unknown) => {
    const filter = confineFields(scope, raw ?? {}, '');
    if (!isObject(filter) || typeof filter.target_id !== 'string') return filter;
    const [target_id] = await storedIds([filter.target_id], 'target_id');
    return { ...filter, target_id };
  };

  const visible = async (id: string) => {
    const [stored] = await storedIds([id], 'memory_id');
    const record = await lt.get(stored as string);
    if (!canSee(scope, record)) throw notFound(`No long-term memory with id "${id}".`);
    return record;
  };

  // A view is this caller's when its filters pin it to the caller's namespace (and user): every partition of it
  // then lies in the scope. Any other view does not exist for this caller.
  const views = engine.summaryViews;
  const visibleView = async (id: string) => {
    const view = await views.get(id);
    if (!canSee(scope, viewScope(view))) throw notFound(`No summary view with id "${id}".`);
    return view;
  };
  // Group values and partition queries may name only the caller's own namespace and user.
  const confineGroup = <T>(raw: T, where: string): T => {
    if (!isObject(raw)) return raw;
    const out: Record<string, unknown> = { ...raw };
    if (raw.namespace !== undefined)
      out.namespace = confineValue(scope, 'namespace', raw.namespace, `${where}namespace`);
    if (raw.user_id !== undefined && scope.user_id) {
      out.user_id = confineValue(scope, 'user_id', raw.user_id, `${where}user_id`);
    }
    return out as T;
  };

  return {
    config: engine.config,
    summaryViews: {
      async create(raw: unknown) {
        requireAccess(scope, 'write', 'Creating summary views');
        if (!isObject(raw)) return views.create(raw);
        const filters = raw.filters === undefined || raw.filters === null ? {} : raw.filters;
        return views.create({ ...raw, filters: confineFilters(scope, filters) });
      },
      async list() {
        requireAccess(scope, 'read', 'Listing summary views');
        return (await views.list()).filter((v) => canSee(scope, viewScope(v)));
      },
      async get(id: string) {
        requireAccess(scope, 'read', 'Reading summary views');
        return visibleView(id);
      },
      async delete(id: string) {
        requireAccess(scope, 'write', 'Deleting summary views');
        try {
          await visibleView(id);
        } catch (err) {
          if (err instanceof MemoryError && err.kind === 'not_found') return false;
          throw err;
        }
        return views.delete(id);
      },
      async runPartition(id: string, raw: unknown) {
        requireAccess(scope, 'write', 'Running a summary view');
        await visibleView(id);
        const body = isObject(raw) ? { ...raw, group: confineGroup(raw.group, 'group.') } : raw;
        return views.runPartition(id, body);
      },
      async partitions(id: string, query: unknown) {
        requireAccess(scope, 'read', 'Reading summary view partitions');
        await visibleView(id);
        return views.partitions(id, confineGroup(query, ''));
      },
      async run(id: string, raw: unknown) {
        requireAccess(scope, 'write', 'Running a summary view');
        await visibleView(id);
        return views.run(id, raw);
      },
    },
    longTerm: {
      async create(inputs: unknown[], opts: { deduplicate?: boolean; defaults?: RecordDefaults } = {}) {
        requireAccess(scope, 'write', 'Storing memories');
        const confined = inputs.map((m, i) => confineFields(scope, m, `memories[${i}].`));
        const placed = await placeForeignIds(confined, 'memories');
        await quotas.admit(ns, { memories: placed.fresh });
        const defaults = confineFields(scope, { ...opts.defaults }, 'defaults.');
        return out(await lt.create(placed.items, { ...opts, defaults }));
      },
      async get(id: string) {
        requireAccess(scope, 'read', 'Reading memories');
        return out(await visible(id));
      },
      async edit(id: string, patch: MemoryRecordPatch) {
        requireAccess(scope, 'write', 'Editing memories');
        const { id: stored } = await visible(id);
        const confined = { ...patch };
        if (patch.namespace !== undefined)
          confined.namespace = confineValue(scope, 'namespace', patch.namespace) as string;
        if (patch.user_id !== undefined && scope.user_id)
          confined.user_id = confineValue(scope, 'user_id', patch.user_id) as string;
        return out(await lt.edit(stored, confined));
      },
      async delete(ids: string[]) {
        requireAccess(scope, 'write', 'Deleting memories');
        if (ids.length === 0) return lt.delete(ids);
        const own = (await getMemories(await storedIds([...new Set(ids)], 'memory_ids')))
          .filter((r) => canSee(scope, r))
          .map((r) => r.id);
        const deleted = own.length ? await lt.delete(own) : 0;
        if (deleted) quotas.release(ns);
        return deleted;
      },
      async list(filter: Partial<MemoryFilter>, limit: number, offset: number) {
        requireAccess(scope, 'read', 'Listing memories');
        return out(await lt.list(confineFilters(scope, filter), limit, offset));
      },
      async search(raw: SearchRequestInput, opts?: { touch?: boolean }) {
        requireAccess(scope, 'read', 'Searching memories');
        return out(await lt.search(confineFilters(scope, raw), opts));
      },
      async contentBytes(filter: Partial<MemoryFilter>) {
        requireAccess(scope, 'read', 'Reading statistics');
        return lt.contentBytes(confineFilters(scope, filter));
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
          // Promotion stores an id another namespace holds under its qualified form, as create does.
          refuseMark(
            memories.flatMap((m) => (isObject(m) && typeof m.id === 'string' ? [m.id] : [])),
            'memories',
          );
          body = { ...body, memories };
          await quotas.admit(ns, { memories: memories.length }, { count: false });
        }
        const messages = isObject(body) && Array.isArray(body.messages) ? body.messages.length : 0;
        await admitSessionWrite({ ...(isObject(body) ? body : {}), session_id: sessionId }, messages, { count: false });
        const written = await wm.put(sessionId, body, opts);
        quotas.settle(ns);
        return written;
      },
      async append(key: SessionKey, messages: unknown, opts?: Parameters<Engine['workingMemory']['append']>[2]) {
        requireAccess(scope, 'write', 'Appending messages');
        await admitSessionWrite(key, Array.isArray(messages) ? messages.length : 0);
        return wm.append(sessionQuery(key), messages, opts);
      },
      async fork(query: SessionQuery, opts?: Parameters<Engine['workingMemory']['fork']>[1]) {
        requireAccess(scope, 'write', 'Forking working memory');
        // The copy lands in the source's namespace and user, which the query has confined.
        await quotas.admit(ns, { sessions: 1, messages: 1 });
        const fork = await wm.fork(sessionQuery(query), opts);
        quotas.settle(ns);
        return fork;
      },
      async delete(query: SessionQuery) {
        requireAccess(scope, 'write', 'Deleting working memory');
        const deleted = await wm.delete(sessionQuery(query));
        quotas.release(ns);
        return deleted;
      },
      async list(filter: { namespace?: string | null; user_id?: string | null }, limit: number, offset: number) {
        requireAccess(scope, 'read', 'Listing sessions');
        return wm.list(confineFields(scope, filter, ''), limit, offset);
      },
    },
    activity: {
      async page(raw: unknown) {
        requireAccess(scope, 'read', 'Reading the activity stream');
        return out(await engine.activity.page(await activityFilter(raw)));
      },
      async follow(raw: unknown, lastId: string | undefined, signal: AbortSignal) {
        requireAccess(scope, 'read', 'Reading the activity stream');
        const events = await engine.activity.follow(await activityFilter(raw), lastId, signal);
        return (async function* () {
          for await (const event of events) yield out(event);
        })();
      },
      async history(memoryId: string) {
        requireAccess(scope, 'read', 'Reading memory history');
        refuseMark([memoryId], 'memory_id');
        // The qualified form first: its history is this caller's even after the memory was deleted.
        for (const id of [qualifiedId(memoryId, ns), memoryId]) {
          const history = await engine.activity.history(id).catch((e: unknown) => {
            if (e instanceof MemoryError && e.kind === 'not_found') return null;
            throw e;
          });
          // A memory of another namespace or user has no history for this caller, deleted or not.
          const events = history?.events.filter((e) => canSee(scope, e)) ?? [];
          if (events.length) return out({ ...history, memory_id: memoryId, events });
        }
        await visible(memoryId);
        return { memory_id: memoryId, events: [] };
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
      if (!isObject(raw)) return out(await engine.memoryPrompt(raw));
      const req = { ...raw };
      if (isObject(req.session)) req.session = confineFields(scope, req.session, 'session.');
      if (isObject(req.long_term_search)) req.long_term_search = confineFilters(scope, req.long_term_search);
      return out(await engine.memoryPrompt(req));
    },
    async compact(opts: CompactOptions = {}) {
      requireAccess(scope, 'write', 'Compacting memories');
      return engine.compact(ownScope(scope, opts));
    },
    async forget(body: unknown, opts: Record<string, unknown>) {
      requireAccess(scope, 'write', 'Forgetting memories');
      // A pinned id protects whichever form this caller's memory is stored under.
      const pinned = isObject(body) && Array.isArray(body.pinned_ids) ? body.pinned_ids : null;
      const withForms =
        pinned && isObject(body)
          ? {
              ...body,
              pinned_ids: pinned.flatMap((id) => (typeof id === 'string' ? [id, qualifiedId(id, ns)] : [id])),
            }
          : body;
      return out(await engine.forget(withForms, ownScope(scope, opts)));
    },
    agentTiers: {
      async maintain(raw: unknown) {
        requireAccess(scope, 'write', 'Maintaining agent memory tiers');
        // A confined caller's pass covers its own namespace only.
        if (!ns) return engine.agentTiers.maintain(raw);
        const body = isObject(raw) ? raw : {};
        return engine.agentTiers.maintain({ ...body, namespace: confineValue(scope, 'namespace', body.namespace) });
      },
      async readDetailed(id: string) {
        requireAccess(scope, 'read', 'Reading memories');
        const { id: stored } = await visible(id);
        return out(await engine.agentTiers.readDetailed(stored));
      },
    },
    async getTask(id: string) {
      requireAccess(scope, 'read', 'Reading tasks');
      const task = await engine.getTask(id);
      // Tasks of other namespaces or users, and store-wide ones (scheduled compaction), do not exist for this caller.
      if (!canSee(scope, task)) throw notFound(`No task with id "${id}".`);
      return out(task);
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
