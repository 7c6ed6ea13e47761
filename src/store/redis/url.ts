import { MemoryError } from '../../errors.js';

export interface RedisAddress {
  host: string;
  port: number;
}

/** What a REDIS_URL names: one server, a Sentinel group, or a Cluster. */
export type RedisTarget =
  | { mode: 'standalone'; url: string }
  | {
      mode: 'sentinel';
      sentinels: RedisAddress[];
      name: string;
      db: number;
      tls: boolean;
      username?: string;
      password?: string;
    }
  | { mode: 'cluster'; nodes: RedisAddress[]; tls: boolean; username?: string; password?: string };

const SENTINEL = /^(rediss?)[+-]sentinel:$/;
const CLUSTER = /^(rediss?)[+-]cluster:$/;

function addresses(hosts: string, defaultPort: number, url: string): RedisAddress[] {
  return hosts.split(',').map((h) => {
    const m = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h.trim());
    if (!m) throw new MemoryError('invalid', `REDIS_URL: cannot read host "${h}" in ${redactUrl(url)}`);
    return { host: m[1]!.replace(/^\[|\]$/g, ''), port: m[2] ? Number(m[2]) : defaultPort };
  });
}

const decode = (s: string | undefined) => (s ? decodeURIComponent(s) : undefined);

/**
 * Reads REDIS_URL. Besides ioredis' own `redis://` and `rediss://`, two multi-host forms (hosts comma-separated):
 * - `redis+sentinel://[user:pass@]s1:26379,s2:26379/<master-name>[/<db>]` (or `redis-sentinel://`);
 * - `redis+cluster://[user:pass@]n1:6379,n2:6379` (or `redis-cluster://`).
 * `rediss+…` turns TLS on. WHATWG URL parsing rejects comma-separated hosts, so these are split by hand.
 */
export function parseRedisUrl(url: string): RedisTarget {
  const scheme = /^[a-z+-]+:/i.exec(url)?.[0]?.toLowerCase() ?? '';
  const sentinel = SENTINEL.exec(scheme);
  const cluster = CLUSTER.exec(scheme);
  if (!sentinel && !cluster) {
    if (scheme !== 'redis:' && scheme !== 'rediss:') {
      throw new MemoryError(
        'invalid',
        `REDIS_URL must start with redis://, rediss://, redis+sentinel:// or redis+cluster://; got ${redactUrl(url)}`,
      );
    }
    return { mode: 'standalone', url };
  }
  const m = /^[^:]+:\/\/(?:([^:@/]*)(?::([^@/]*))?@)?([^/?#]+)(?:\/([^?#]*))?/.exec(url);
  if (!m) throw new MemoryError('invalid', `REDIS_URL: cannot read ${redactUrl(url)}`);
  const [, user, pass, hosts, path] = m;
  const tls = (sentinel ?? cluster)![1] === 'rediss';
  const auth = { username: decode(user), password: decode(pass) };
  if (cluster) return { mode: 'cluster', nodes: addresses(hosts!, 6379, url), tls, ...auth };
  const [name, db] = (path ?? '').split('/');
  if (!name) {
    throw new MemoryError('invalid', `REDIS_URL: a Sentinel URL names the master group: ${redactUrl(url)}/mymaster`);
  }
  return {
    mode: 'sentinel',
    sentinels: addresses(hosts!, 26379, url),
    name: decodeURIComponent(name),
    db: db ? Number(db) : 0,
    tls,
    ...auth,
  };
}

/** The URL with any password replaced, for messages and logs. */
export function redactUrl(url: string): string {
  return url.replace(/^([^:]+:\/\/)([^@/]*)@/, (_, scheme: string, auth: string) => {
    const colon = auth.indexOf(':');
    return colon === -1 ? `${scheme}${auth}@` : `${scheme}${auth.slice(0, colon)}:***@`;
  });
}
