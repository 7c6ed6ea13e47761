import { MemoryError } from '../../errors.js';
import type { MemoryMessage } from '../../models/message.js';
import type { WorkingMemory } from '../../models/working-memory.js';
import type { AppendResult, ArchiveUpdate, Page, SessionKey, SessionQuery, StoredSession } from '../port.js';
import type { RedisClient } from './client.js';
import { globPrefix, type Keys, parseSessionSuffix } from './keys.js';
import { scanKeys } from './scan.js';
import type { ScriptArg, ScriptRunner } from './scripts.js';
import { decodeSession, encodeMessage, type SessionReply } from './session-codec.js';
import {
  APPEND_MESSAGES,
  ARCHIVE_MESSAGES,
  DELETE_SESSION,
  MARK_EXTRACTED,
  PURGE_AND_LIST,
  PUT_SESSION,
  READ_ALL_MESSAGES,
  READ_SESSION,
} from './session-scripts.js';

const describeKey = (k: SessionKey) =>
  `${k.namespace === null ? 'no namespace' : `namespace "${k.namespace}"`}, ${k.user_id === null ? 'no user_id' : `user_id "${k.user_id}"`}`;

function ambiguous(sessionId: string, found: StoredSession[]): MemoryError {
  return new MemoryError(
    'conflict',
    `Session "${sessionId}" exists in several namespaces/users (${found.map(describeKey).join('; ')}); pass namespace and/or user_id.`,
  );
}

const matches = (q: SessionQuery, k: SessionKey) =>
  (q.namespace === undefined || q.namespace === k.namespace) && (q.user_id === undefined || q.user_id === k.user_id);

/** Working memory on Redis: see session-scripts.ts for the key layout and the atomic writes. */
export class SessionRepo {
  constructor(
    private readonly client: RedisClient,
    private readonly keys: Keys,
    private readonly scripts: ScriptRunner,
  ) {}

  /** The ten keys of the write scripts, for the session at `key`. */
  private writeKeys(key: SessionKey): { keys: string[]; member: string } {
    const member = this.keys.sessionSuffix(key);
    const k = this.keys;
    return {
      member,
      keys: [
        k.session(member),
        k.messages(member),
        k.messageIds(member),
        k.sessionsWithId(key.session_id),
        k.sessionsAll,
        k.sessionsByNamespace(key.namespace),
        k.sessionsByUser(key.user_id),
        k.sessionsByNamespaceUser(key.namespace, key.user_id),
        k.sessionExpiry,
        k.archivedMessages(member),
      ],
    };
  }

  private async read(key: SessionKey, limit?: number, touch = false): Promise<StoredSession | null> {
    const member = this.keys.sessionSuffix(key);
    const reply = await this.scripts.run<SessionReply | null>(
      READ_SESSION,
      [this.keys.session(member), this.keys.messages(member)],
      [member, limit === undefined ? '' : Math.max(0, Math.floor(limit)), touch ? '1' : '0'],
    );
    return reply ? decodeSession(key, reply) : null;
  }

  /** Live sessions the query names, oldest first; ids of expired ones are dropped from the indexes. */
  private async lookup(q: SessionQuery, limit?: number): Promise<StoredSession[]> {
    const members = (await this.client.smembers(this.keys.sessionsWithId(q.session_id))) as string[];
    const candidates = members.map(parseSessionSuffix).filter((k) => matches(q, k));
    const found = await Promise.all(candidates.map((k) => this.read(k, limit)));
    if (found.some((s) => s === null)) await this.purge();
    return found
      .filter((s): s is StoredSession => s !== null)
      .sort((a, b) => a.created_at.localeCompare(b.created_at) || describeKey(a).localeCompare(describeKey(b)));
  }

  private async purge(): Promise<void> {
    await this.scripts.run(PURGE_AND_LIST, [this.keys.sessionExpiry], [this.keys.base, 0, 0]);
  }

  async get(q: SessionQuery, opts: { recentMessagesLimit?: number; touch?: boolean } = {}) {
    const found = await this.lookup(q, opts.recentMessagesLimit);
    if (found.length > 1) throw ambiguous(q.session_id, found);
    const session = found[0];
    if (!session || !opts.touch) return session ?? null;
    return this.read(session, opts.recentMessagesLimit, true);
  }

  async put(s: WorkingMemory, expectedVersion?: number, archived: MemoryMessage[] = []): Promise<StoredSession> {
    const now = Date.now();
    const key = { session_id: s.session_id, namespace: s.namespace ?? null, user_id: s.user_id ?? null };
    const { keys, member } = this.writeKeys(key);
    const created = Date.parse(s.created_at);
    const args: ScriptArg[] = [
      member,
      expectedVersion ?? '',
      Number.isNaN(created) ? '' : created,
      s.ttl_seconds ?? '',
      s.context == null ? '0' : '1',
      s.context ?? '',
      JSON.stringify(s.data ?? {}),
      JSON.stringify(s.memories ?? []),
      s.tokens ?? 0,
      JSON.stringify(s.long_term_memory_strategy ?? { strategy: 'discrete', config: {} }),
      archived.length,
    ];
    for (const m of archived) args.push(...encodeMessage(m, now));
    for (const m of s.messages ?? []) args.push(...encodeMessage(m, now));
    try {
      return decodeSession(key, await this.scripts.run<SessionReply>(PUT_SESSION, keys, args));
    } catch (err) {
      const current = /CONFLICT (\d+)/.exec((err as Error).message ?? '')?.[1];
      if (current === undefined) throw err;
      throw new MemoryError(
        'conflict',
        `Session "${s.session_id}" is at version ${current}, but version ${expectedVersion} was expected; read it again and retry.`,
      );
    }
  }

  async append(
    key: SessionKey,
    messages: MemoryMessage[],
    opts: { ttlSeconds?: number | null; recentMessagesLimit?: number } = {},
  ): Promise<AppendResult> {
    const now = Date.now();
    const { keys, member } = this.writeKeys(key);
    const ttl = opts.ttlSeconds === undefined ? 'keep' : opts.ttlSeconds === null ? 'none' : opts.ttlSeconds;
    const limit = opts.recentMessagesLimit === undefined ? '' : Math.max(0, Math.floor(opts.recentMessagesLimit));
    const args: ScriptArg[] = [member, ttl, limit];
    for (const m of messages) args.push(...encodeMessage(m, now));
    const reply = await this.scripts.run<[...SessionReply, number]>(APPEND_MESSAGES, keys, args);
    return { session: decodeSession(key, [reply[0], reply[1], reply[2]]), appended: Number(reply[3]) };
  }

  async archive(key: SessionKey, update: ArchiveUpdate, recentMessagesLimit?: number): Promise<StoredSession | null> {
    const { keys, member } = this.writeKeys(key);
    const limit = recentMessagesLimit === undefined ? '' : Math.max(0, Math.floor(recentMessagesLimit));
    const reply = await this.scripts.run<SessionReply | null>(ARCHIVE_MESSAGES, keys, [
      member,
      update.expectedContext === null ? '0' : '1',
      update.expectedContext ?? '',
      update.context === null ? '0' : '1',
      update.context ?? '',
      limit,
      ...update.ids,
    ]);
    return reply ? decodeSession(key, reply) : null;
  }

  /** Archived then live messages of the session at `key`, oldest first; null when there is no such session. */
  private async allMessages(key: SessionKey): Promise<{ archived: MemoryMessage[]; live: MemoryMessage[] } | null> {
    const { keys, member } = this.writeKeys(key);
    const reply = await this.scripts.run<[string[], string[]] | null>(READ_ALL_MESSAGES, keys, [member]);
    if (!reply) return null;
    const parse = (list: string[]) => list.map((m) => JSON.parse(m) as MemoryMessage);
    return { archived: parse(reply[0]), live: parse(reply[1]) };
  }

  async toExtract(key: SessionKey): Promise<MemoryMessage[]> {
    const all = await this.allMessages(key);
    if (!all) return [];
    return [...all.archived, ...all.live].filter((m) => m.discrete_memory_extracted !== 't');
  }

  async markExtracted(key: SessionKey, ids: string[]): Promise<number> {
    if (ids.length === 0) return 0;
    const { keys, member } = this.writeKeys(key);
    return Number(await this.scripts.run(MARK_EXTRACTED, keys, [member, ...ids]));
  }

  async delete(q: SessionQuery): Promise<boolean> {
    const found = await this.lookup(q, 0);
    if (found.length > 1) throw ambiguous(q.session_id, found);
    const session = found[0];
    if (!session) return false;
    const { keys, member } = this.writeKeys(session);
    return (await this.scripts.run<number>(DELETE_SESSION, keys, [member])) === 1;
  }

  /** The sorted set listing the sessions of a namespace and/or user. */
  private setFor(filter: { namespace?: string | null; user_id?: string | null }): string {
    const k = this.keys;
    const { namespace: ns, user_id: user } = filter;
    if (ns !== undefined && user !== undefined) return k.sessionsByNamespaceUser(ns, user);
    if (ns !== undefined) return k.sessionsByNamespace(ns);
    if (user !== undefined) return k.sessionsByUser(user);
    return k.sessionsAll;
  }

  /** Keys of every live session of a namespace and/or user (statistics, erasing a user). */
  async liveKeys(filter: { namespace?: string | null; user_id?: string | null }): Promise<SessionKey[]> {
    await this.list(filter, 0, 0);
    return ((await this.client.zrange(this.setFor(filter), '0', '-1')) as string[]).map(parseSessionSuffix);
  }

  async list(
    filter: { namespace?: string | null; user_id?: string | null },
    limit: number,
    offset: number,
  ): Promise<Page<string>> {
    const k = this.keys;
    const set = this.setFor(filter);
    const [total, members] = await this.scripts.run<[number, string[]]>(
      PURGE_AND_LIST,
      [k.sessionExpiry, set],
      [k.base, Math.max(0, Math.floor(offset)), Math.max(0, Math.floor(limit))],
    );
    return { items: members.map((m) => parseSessionSuffix(m).session_id), total: Number(total) };
  }

  /** Export: SCAN over session hashes (the only place the store scans). */
  async *all(): AsyncGenerator<StoredSession> {
    const prefix = this.keys.sessionPrefix;
    const seen = new Set<string>();
    for await (const batch of scanKeys(this.client, globPrefix(prefix))) {
      for (const key of batch) {
        if (seen.has(key)) continue;
        seen.add(key);
        const sessionKey = parseSessionSuffix(key.slice(prefix.length));
        const session = await this.read(sessionKey);
        const messages = session && (await this.allMessages(sessionKey));
        if (!session || !messages) continue;
        if (messages.archived.length) session.archived_messages = messages.archived;
        yield session;
      }
    }
  }
}
