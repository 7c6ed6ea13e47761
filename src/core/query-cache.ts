import { createHash } from 'node:crypto';
import { invalid } from '../errors.js';
import type { MemoryStore } from '../store/port.js';

/** The longest TTL a caller may set (a day): longer buys nothing, as any write invalidates the cache anyway. */
export const MAX_QUERY_CACHE_TTL_SECONDS = 86_400;

export interface QueryCacheOptions {
  /** QUERY_CACHE_TTL_SECONDS: how long an answer is kept; 0 turns the cache off. */
  ttlSeconds: number;
  /** QUERY_CACHE_MAX_ENTRIES: beyond, the least recently used answer goes. */
  maxEntries: number;
  /** Epoch ms; tests inject a clock. */
  now?: () => number;
}

/** GET /v1/query-cache and /metrics. Counters run from the start of the process. */
export interface QueryCacheStats {
  enabled: boolean;
  ttl_seconds: number;
  max_entries: number;
  entries: number;
  hits: number;
  misses: number;
  /** Answers dropped because a memory was written (by any process) after they were made. */
  invalidated: number;
  /** Answers dropped for age (the TTL). */
  expired: number;
  /** Answers dropped to stay within max_entries. */
  evicted: number;
}

/**
 * One lookup, made before the search runs. `value` is the cached answer, if any; a miss computes the answer and
 * `save`s it under the write version read here, so an answer computed while a write lands is never kept as
 * current. `reject` turns a hit that could not be used (a memory gone since) into a miss.
 */
export interface CacheProbe<T> {
  value?: T;
  save(value: T): void;
  reject(): void;
}

/** Store methods that never change memories or what a search over them returns; any other call counts as a write. */
const NOT_MEMORY_WRITES = new Set<PropertyKey>([
  'writeVersion',
  'getMemories',
  'listMemories',
  'duplicateGroups',
  'keywordSearch',
  'keywordCeiling',
  'vectorSearch',
  'vectorDistances',
  'countMemories',
  'tieredAgents',
  'contentBytes',
  'sessionTail',
  'keywordIndexPending',
  'recordedEmbeddingModel',
  'allMemories',
  'counts',
  'getCachedVectors',
  'putCachedVectors',
  // Access counts and times: rankings that weigh them read them fresh on every hit (long-term.ts).
  'recordAccess',
  // Working memory and the activity stream live beside the memories, not in them.
  'getSession',
  'putSession',
  'archiveMessages',
  'messagesToExtract',
  'markMessagesExtracted',
  'appendMessages',
  'deleteSession',
  'listSessions',
  'allSessions',
  'appendActivity',
  'listActivity',
  'pruneActivity',
  'close',
]);

/** JSON with object keys sorted at every level, so equal requests make equal keys whatever their field order. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) => {
    if (v === null || typeof v !== 'object' || Array.isArray(v)) return v;
    const o = v as Record<string, unknown>;
    return Object.fromEntries(
      Object.keys(o)
        .sort()
        .map((k) => [k, o[k]]),
    );
  });
}

/**
 * The rankings of recent searches, so that a repeated search skips embedding its text and querying the indexes.
 * An answer is never stale: it is kept under the store's write version (MemoryStore.writeVersion, which every
 * process's memory writes change) together with this process's own write count, both read before the search ran,
 * and any lookup that finds either changed drops every answer. The records of a hit are still read from the store,
 * so fields such as access_count are current. Entries also expire after the TTL and the least recently used go
 * beyond max_entries.
 */
export class QueryCache {
  private readonly entries = new Map<string, { at: number; value: unknown }>();
  /** The version every entry was made under; a lookup seeing another empties the cache. */
  private version: string | undefined;
  private ttlMs: number;
  private readonly maxEntries: number;
  private readonly now: () => number;
  /** Memory writes made through `watch`ed stores of this process, counted once each has finished. */
  private localWrites = 0;
  private readonly counts = { hits: 0, misses: 0, invalidated: 0, expired: 0, evicted: 0 };

  constructor(
    private readonly storeVersion: () => Promise<string>,
    opts: QueryCacheOptions,
  ) {
    this.ttlMs = checkTtl(opts.ttlSeconds) * 1000;
    this.maxEntries = Math.max(1, Math.floor(opts.maxEntries));
    this.now = opts.now ?? Date.now;
  }

  get enabled(): boolean {
    return this.ttlMs > 0;
  }

  /** Looks `parts` (everything the answer depends on) up; undefined while the cache is off. */
  async probe<T>(parts: unknown): Promise<CacheProbe<T> | undefined> {
    if (!this.enabled) return undefined;
    // Hashed: a request with a vector of thousands of numbers still keys the map in 44 characters.
    const key = createHash('sha256').update(canonicalJson(parts)).digest('base64');
    const local = this.localWrites;
    const version = `${await this.storeVersion()}#${local}`;
    if (version !== this.version) {
      this.counts.invalidated += this.entries.size;
      this.entries.clear();
      this.version = version;
    }
    const entry = this.entries.get(key);
    const now = this.now();
    let value: T | undefined;
    if (entry && now - entry.at >= this.ttlMs) {
      this.entries.delete(key);
      this.counts.expired += 1;
    } else if (entry) {
      // Most recently used last: eviction takes the first.
      this.entries.delete(key);
      this.entries.set(key, entry);
      value = entry.value as T;
    }
    if (value === undefined) this.counts.misses += 1;
    else this.counts.hits += 1;
    return {
      value,
      save: (v) => this.put(key, version, now, v),
      reject: () => {
        if (value === undefined) return;
        this.entries.delete(key);
        this.counts.hits -= 1;
        this.counts.misses += 1;
        value = undefined;
      },
    };
  }

  private put(key: string, version: string, at: number, value: unknown): void {
    // Written since this search read the version (or the cache was turned off or cleared): not kept.
    if (!this.enabled || version !== this.version) return;
    this.entries.delete(key);
    this.entries.set(key, { at, value });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
      this.counts.evicted += 1;
    }
  }

  /** Drops every answer; returns how many there were. */
  clear(): number {
    const n = this.entries.size;
    this.entries.clear();
    // Searches under way when the cache was cleared do not store their answers.
    this.version = undefined;
    return n;
  }

  /** Sets the TTL from now on, for the answers already kept too; 0 turns the cache off (and empties it). */
  setTtl(seconds: number): void {
    this.ttlMs = checkTtl(seconds) * 1000;
    if (this.ttlMs === 0) this.clear();
  }

  stats(): QueryCacheStats {
    return {
      enabled: this.enabled,
      ttl_seconds: this.ttlMs / 1000,
      max_entries: this.maxEntries,
      entries: this.entries.size,
      ...this.counts,
    };
  }

  /** Counts a memory write of this process; the next lookup then empties the cache. */
  noteWrite(): void {
    this.localWrites += 1;
  }

  /**
   * The store, with every call that may change memories counted as a write once it has finished (success or not):
   * a write path a store adapter forgot to version still invalidates this process's answers. Calls known to
   * leave memories alone (reads, access counts, sessions, activity) pass untouched.
   */
  watch<S extends MemoryStore>(store: S): S {
    return new Proxy(store, {
      get: (target, key) => {
        const value = Reflect.get(target, key, target) as unknown;
        if (typeof value !== 'function' || NOT_MEMORY_WRITES.has(key)) {
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return (...args: unknown[]) => {
          let result: unknown;
          try {
            result = value.apply(target, args);
          } catch (err) {
            this.noteWrite();
            throw err;
          }
          if (result instanceof Promise) return result.finally(() => this.noteWrite());
          this.noteWrite();
          return result;
        };
      },
    });
  }
}

function checkTtl(seconds: number): number {
  if (!Number.isInteger(seconds) || seconds < 0 || seconds > MAX_QUERY_CACHE_TTL_SECONDS) {
    throw invalid(`ttl_seconds: expected a whole number of seconds from 0 to ${MAX_QUERY_CACHE_TTL_SECONDS}`);
  }
  return seconds;
}
