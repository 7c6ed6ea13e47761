import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { MemoryError } from '../../errors.js';
import { log } from '../../util/log.js';
import { parseRedisUrl, redactUrl } from './url.js';

export type RedisClient = Redis | Cluster;

export interface ConnectOptions {
  /** A command that gets no reply within this time fails (the server hangs, or the network does). */
  commandTimeoutMs?: number;
  connectTimeoutMs?: number;
}

/**
 * Options every connection shares. The store must fail fast while Redis is down rather than queue writes in
 * memory: `enableOfflineQueue: false` rejects commands at once while disconnected, and in-flight commands are not
 * re-sent after a reconnect (a re-sent append script would apply twice). RESP2 keeps FT.SEARCH replies in the
 * one shape every RediSearch version (2.6 to Redis 8) returns.
 */
function common(opts: ConnectOptions): RedisOptions {
  return {
    protocol: 2,
    lazyConnect: true,
    enableOfflineQueue: false,
    autoResendUnfulfilledCommands: false,
    maxRetriesPerRequest: 0,
    commandTimeout: opts.commandTimeoutMs ?? 10_000,
    connectTimeout: opts.connectTimeoutMs ?? 5_000,
    // Reconnect forever, backing off to 2 s, so the server recovers by itself when Redis comes back.
    retryStrategy: (times: number) => Math.min(50 * 2 ** Math.min(times, 6), 2_000),
    disableClientInfo: true,
  };
}

export function createClient(url: string, opts: ConnectOptions = {}): RedisClient {
  const client = makeClient(url, opts);
  // Without a listener, ioredis prints every failed reconnect attempt; one line per outage is enough. Errors
  // before the first connection are the caller's to report (connect() below).
  let everReady = false;
  let down = false;
  client.on('error', (err: Error) => {
    if (everReady && !down)
      log.warn('Redis connection lost; reconnecting', { url: redactUrl(url), error: err.message });
    down = true;
  });
  client.on('ready', () => {
    if (everReady && down) log.info('Redis connection restored', { url: redactUrl(url) });
    everReady = true;
    down = false;
  });
  return client;
}

function makeClient(url: string, opts: ConnectOptions): RedisClient {
  const target = parseRedisUrl(url);
  const base = common(opts);
  switch (target.mode) {
    case 'standalone':
      return new Redis(url, base);
    case 'sentinel':
      return new Redis({
        ...base,
        sentinels: target.sentinels,
        name: target.name,
        db: target.db,
        username: target.username,
        password: target.password,
        sentinelUsername: target.username,
        sentinelPassword: target.password,
        ...(target.tls ? { tls: {}, sentinelTLS: {}, enableTLSForSentinelMode: true } : {}),
      });
    case 'cluster': {
      const { enableOfflineQueue, retryStrategy, ...redisOptions } = base;
      return new Cluster(target.nodes, {
        lazyConnect: true,
        enableOfflineQueue,
        clusterRetryStrategy: retryStrategy ?? undefined,
        redisOptions: {
          ...redisOptions,
          username: target.username,
          password: target.password,
          ...(target.tls ? { tls: {} } : {}),
        },
      });
    }
  }
}

const UNAVAILABLE_REPLIES = /^(LOADING|BUSY|MASTERDOWN|CLUSTERDOWN|TRYAGAIN|READONLY)\b/;

/** ioredis's words for "the connection is down" (fail-fast settings), which say nothing useful to a caller. */
const CONNECTION_DOWN = /max retries per request|Stream isn't writeable|Connection is closed/i;

/**
 * Turns a failure to reach Redis into MemoryError('unavailable') (HTTP 503), naming the server without its password.
 * Errors Redis itself replied with (a bad query, a script error) are bugs, not outages, and pass through.
 */
export function asStoreError(err: unknown, url: string): unknown {
  if (err instanceof MemoryError) return err;
  const e = err as Error & { name?: string };
  const replied = e?.name === 'ReplyError' && !UNAVAILABLE_REPLIES.test(e.message ?? '');
  if (replied) return err;
  const message = e?.message ?? String(err);
  const why = CONNECTION_DOWN.test(message) ? 'the connection is down; reconnecting in the background' : message;
  return new MemoryError('unavailable', `Redis at ${redactUrl(url)} is unreachable: ${why}`);
}

/** Connects, failing with MemoryError('unavailable') (and no background reconnects) when Redis cannot be reached. */
export async function connect(client: RedisClient, url: string): Promise<void> {
  // connect() rejects with a bare "Connection is closed."; the socket error says why (refused, DNS, TLS, auth).
  let cause: Error | undefined;
  const onError = (err: Error) => {
    cause ??= err;
  };
  client.on('error', onError);
  try {
    await client.connect();
  } catch (err) {
    client.disconnect();
    throw asStoreError(cause ?? err, url);
  } finally {
    client.off('error', onError);
  }
}
