import { Cluster, type Redis } from 'ioredis';
import type { RedisClient } from './client.js';

const COUNT = 500;

async function* scanNode(node: Redis, pattern: string): AsyncGenerator<string[]> {
  let cursor = '0';
  do {
    const [next, keys] = await node.scan(cursor, 'MATCH', pattern, 'COUNT', COUNT);
    cursor = next;
    if (keys.length > 0) yield keys;
  } while (cursor !== '0');
}

/**
 * Keys matching `pattern`, in batches. Used for export and maintenance only: the request paths never scan.
 * A key may come twice (SCAN's guarantee), so callers must tolerate repeats.
 */
export async function* scanKeys(client: RedisClient, pattern: string): AsyncGenerator<string[]> {
  const nodes = client instanceof Cluster ? client.nodes('master') : [client];
  for (const node of nodes) yield* scanNode(node, pattern);
}
