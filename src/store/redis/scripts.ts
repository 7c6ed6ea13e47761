import { createHash } from 'node:crypto';
import type { RedisClient } from './client.js';

export type ScriptArg = string | number | Buffer;

/**
 * Runs Lua by EVALSHA, sending the source with EVAL only when the server does not have it yet (first use, or after
 * a restart emptied its script cache). Works the same on a single server and a Cluster.
 */
export class ScriptRunner {
  private readonly shas = new Map<string, string>();

  constructor(private readonly client: RedisClient) {}

  private sha(source: string): string {
    let sha = this.shas.get(source);
    if (!sha) {
      sha = createHash('sha1').update(source).digest('hex');
      this.shas.set(source, sha);
    }
    return sha;
  }

  async run<T = unknown>(source: string, keys: string[], args: ScriptArg[]): Promise<T> {
    try {
      return (await this.client.evalsha(this.sha(source), keys.length, ...keys, ...args)) as T;
    } catch (err) {
      if (!(err as Error).message?.startsWith('NOSCRIPT')) throw err;
      return (await this.client.eval(source, keys.length, ...keys, ...args)) as T;
    }
  }
}
