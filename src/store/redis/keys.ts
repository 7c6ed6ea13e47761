import type { SessionKey } from '../port.js';

/** One part of a session key: `_` for null, else `=` and the URI-encoded value (which never contains `:`). */
export const keyPart = (v: string | null): string => (v === null ? '_' : `=${encodeURIComponent(v)}`);
export const fromKeyPart = (p: string): string | null => (p === '_' ? null : decodeURIComponent(p.slice(1)));

/**
 * Every key of one store. The prefix is wrapped in a hash tag (`{agent-memory}:…`) so that all keys live in one
 * Cluster slot: the Lua scripts that keep sessions, their indexes and the dedup sets consistent touch several
 * keys at once, which Redis Cluster only allows within one slot.
 */
export class Keys {
  readonly base: string;

  constructor(prefix: string) {
    this.base = `{${prefix}}:`;
  }

  /** Store facts: index version, embedding model, vector generation and dimension, re-embed state. */
  get meta() {
    return `${this.base}meta`;
  }
  /** Bumped by every memory write script (MemoryStore.writeVersion): the query cache's check. */
  get writeVersion() {
    return `${this.base}write-version`;
  }
  /** Insertion counter: the order sessionTail returns. */
  get seq() {
    return `${this.base}seq`;
  }
  /** The prefix the search index covers. */
  get memoryPrefix() {
    return `${this.base}mem:`;
  }
  memory(id: string) {
    return `${this.memoryPrefix}${id}`;
  }
  /** Ids of memories with one memory_hash in one namespace and user, scored by insertion order (dedup). */
  dedup(digest: string) {
    return `${this.base}dup:${digest}`;
  }
  /** Ids the running re-embed still has to do. */
  get reembedTodo() {
    return `${this.base}reembed:todo`;
  }
  get reembedLock() {
    return `${this.base}reembed:lock`;
  }
  // Keyword statistics (keyword-stats.ts): what BM25 needs beside the memories the search module finds.
  /** Per memory id, its token count and distinct tokens, as counted into the statistics. */
  get keywordDocs() {
    return `${this.base}kw:docs`;
  }
  /** Per token, how many memories hold it in terms or context. */
  get keywordDf() {
    return `${this.base}kw:df`;
  }
  /** `rows` and `tokens`: memories counted and their tokens over both columns. */
  get keywordTotals() {
    return `${this.base}kw:totals`;
  }
  /** Held by the process counting the memories written before the statistics existed. */
  get keywordBuildLock() {
    return `${this.base}kw:lock`;
  }
  index(version: number | string, generation: number) {
    return `${this.base}idx:v${version}:g${generation}`;
  }
  embeddingCache(model: string) {
    return `${this.base}emb:${encodeURIComponent(model)}`;
  }

  // Working memory: a session is a hash, a message list and a set of message ids, all sharing one suffix.
  sessionSuffix(k: SessionKey) {
    return `${keyPart(k.namespace)}:${keyPart(k.user_id)}:${encodeURIComponent(k.session_id)}`;
  }
  get sessionPrefix() {
    return `${this.base}s:`;
  }
  session(suffix: string) {
    return `${this.sessionPrefix}${suffix}`;
  }
  messages(suffix: string) {
    return `${this.base}m:${suffix}`;
  }
  archivedMessages(suffix: string) {
    return `${this.base}a:${suffix}`;
  }
  messageIds(suffix: string) {
    return `${this.base}i:${suffix}`;
  }
  /** Session suffixes per session id: finds a session by id alone and detects ambiguity. */
  sessionsWithId(sessionId: string) {
    return `${this.base}sid:${encodeURIComponent(sessionId)}`;
  }
  /** Sorted sets of session suffixes by updated_at, for listing without KEYS or SCAN. */
  get sessionsAll() {
    return `${this.base}sessions`;
  }
  sessionsByNamespace(ns: string | null) {
    return `${this.base}sessions:ns:${keyPart(ns)}`;
  }
  sessionsByUser(user: string | null) {
    return `${this.base}sessions:user:${keyPart(user)}`;
  }
  sessionsByNamespaceUser(ns: string | null, user: string | null) {
    return `${this.base}sessions:nsuser:${keyPart(ns)}:${keyPart(user)}`;
  }
  // Summary views: a view is a JSON string, listed by a sorted set (score created_at); its partition results are
  // one hash per view, field = partition key.
  get summaryViews() {
    return `${this.base}views`;
  }
  summaryView(id: string) {
    return `${this.base}view:${encodeURIComponent(id)}`;
  }
  summaryViewPartitions(id: string) {
    return `${this.base}view-parts:${encodeURIComponent(id)}`;
  }
  /** Session suffixes by expires_at, so listing can drop expired sessions from the sets above. */
  get sessionExpiry() {
    return `${this.base}sessions:expiry`;
  }
}

/** Parses a session suffix back into its key. */
export function parseSessionSuffix(suffix: string): SessionKey {
  const [ns, user, id] = suffix.split(':');
  return { namespace: fromKeyPart(ns!), user_id: fromKeyPart(user!), session_id: decodeURIComponent(id!) };
}

/** A glob matching `prefix` literally, followed by anything (SCAN MATCH). */
export const globPrefix = (prefix: string) => `${prefix.replace(/[*?[\]\\]/g, '\\$&')}*`;
