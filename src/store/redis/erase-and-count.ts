import { contentHash } from '../../util/content-hash.js';
import type { EraseCounts, StoreCounts } from '../port.js';
import type { ActivityRepo } from './activity.js';
import type { RedisClient } from './client.js';
import { globPrefix, type Keys } from './keys.js';
import type { MemoryRepo } from './memories.js';
import { scanKeys } from './scan.js';
import type { SessionRepo } from './sessions.js';
import type { RedisTaskStore } from './tasks.js';

interface Parts {
  client: RedisClient;
  keys: Keys;
  memories: MemoryRepo;
  sessions: SessionRepo;
  activity: ActivityRepo;
  tasks: RedisTaskStore;
}

interface DocFields {
  text: string;
  memory_hash: string;
  updated_at: string;
  namespace: string | null;
  user_id: string | null;
  memory_type: string;
  pinned: boolean;
  created_at: string;
}

/** Every memory's owner and the fields statistics count, read from its `doc` by scanning (maintenance only). */
async function* memoryDocs(p: Parts): AsyncGenerator<{ id: string; doc: DocFields }[]> {
  const prefix = p.keys.memoryPrefix;
  const seen = new Set<string>();
  for await (const batch of scanKeys(p.client, globPrefix(prefix))) {
    const fresh = batch.filter((k) => !seen.has(k));
    for (const k of fresh) seen.add(k);
    const pipe = p.client.pipeline();
    for (const k of fresh) pipe.hget(k, 'doc');
    const replies = (await pipe.exec()) ?? [];
    yield fresh.flatMap((k, i) => {
      const raw = replies[i]?.[1];
      return typeof raw === 'string' ? [{ id: k.slice(prefix.length), doc: JSON.parse(raw) as DocFields }] : [];
    });
  }
}

export async function eraseUser(
  p: Parts,
  userId: string,
  namespace: string | undefined,
): Promise<EraseCounts & { hashes: string[] }> {
  const owned = (doc: { user_id: string | null; namespace: string | null }) =>
    doc.user_id === userId && (namespace === undefined || doc.namespace === namespace);
  let memories = 0;
  const hashes = new Set<string>();
  for await (const batch of memoryDocs(p)) {
    const mine = batch.filter((m) => owned(m.doc));
    for (const m of mine) hashes.add(contentHash(m.doc.text));
    if (mine.length) memories += await p.memories.delete(mine.map((m) => m.id));
  }
  const cacheHashes = [...hashes];
  let sessions = 0;
  for (const key of await p.sessions.liveKeys({ user_id: userId, namespace })) {
    if (await p.sessions.delete(key)) sessions += 1;
  }
  let cached = 0;
  if (cacheHashes.length) {
    for await (const batch of scanKeys(p.client, globPrefix(`${p.keys.base}emb:`))) {
      for (const key of batch) cached += await p.client.hdel(key, ...cacheHashes);
    }
  }
  return {
    hashes: cacheHashes,
    sessions,
    memories,
    activity_events: await p.activity.deleteForUser(userId, namespace),
    tasks: await p.tasks.deleteForUser(userId, namespace),
    cached_embeddings: cached,
  };
}

const bump = (into: Record<string, number>, key: string | null) => {
  const k = key ?? '(none)';
  into[k] = (into[k] ?? 0) + 1;
};

export async function countStore(p: Parts, scope: { namespace?: string; user_id?: string }): Promise<StoreCounts> {
  const out: StoreCounts = {
    memories: 0,
    by_namespace: {},
    by_user: {},
    by_memory_type: {},
    pinned: 0,
    oldest: null,
    newest: null,
    sessions: 0,
    messages: 0,
    storage_bytes: 0,
  };
  for await (const batch of memoryDocs(p)) {
    for (const { doc } of batch) {
      if (scope.namespace !== undefined && doc.namespace !== scope.namespace) continue;
      if (scope.user_id !== undefined && doc.user_id !== scope.user_id) continue;
      out.memories += 1;
      bump(out.by_namespace, doc.namespace);
      bump(out.by_user, doc.user_id);
      bump(out.by_memory_type, doc.memory_type);
      if (doc.pinned) out.pinned += 1;
      if (out.oldest === null || doc.created_at < out.oldest) out.oldest = doc.created_at;
      if (out.newest === null || doc.created_at > out.newest) out.newest = doc.created_at;
    }
  }
  const sessions = await p.sessions.liveKeys({ namespace: scope.namespace, user_id: scope.user_id });
  out.sessions = sessions.length;
  for (let i = 0; i < sessions.length; i += 500) {
    const pipe = p.client.pipeline();
    for (const key of sessions.slice(i, i + 500)) pipe.llen(p.keys.messages(p.keys.sessionSuffix(key)));
    for (const [, n] of (await pipe.exec()) ?? []) out.messages += Number(n ?? 0);
  }
  for await (const batch of scanKeys(p.client, globPrefix(p.keys.base))) {
    const pipe = p.client.pipeline();
    for (const k of batch) pipe.memory('USAGE', k);
    for (const [, n] of (await pipe.exec()) ?? []) out.storage_bytes! += Number(n ?? 0);
  }
  return out;
}

/** Exact duplicates by scanning every memory's doc (maintenance only; SQLite reads an index instead). */
export async function duplicateGroups(
  p: Parts,
  scope: { namespace?: string; user_id?: string },
  sinceMs?: number,
): Promise<string[][]> {
  const groups = new Map<string, { id: string; created: string; updated: number }[]>();
  for await (const batch of memoryDocs(p)) {
    for (const { id, doc } of batch) {
      if (scope.namespace !== undefined && doc.namespace !== scope.namespace) continue;
      if (scope.user_id !== undefined && doc.user_id !== scope.user_id) continue;
      const key = JSON.stringify([doc.memory_hash, doc.namespace, doc.user_id]);
      const group = groups.get(key) ?? [];
      group.push({ id, created: doc.created_at, updated: Date.parse(doc.updated_at) });
      groups.set(key, group);
    }
  }
  return [...groups.values()]
    .filter((g) => g.length > 1 && (sinceMs === undefined || g.some((m) => m.updated >= sinceMs)))
    .map((g) =>
      g
        .sort((a, b) =>
          a.created < b.created ? -1 : a.created > b.created ? 1 : a.id < b.id ? -1 : a.id > b.id ? 1 : 0,
        )
        .map((m) => m.id),
    );
}
