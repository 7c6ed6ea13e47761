import type { NamespaceLimits } from '../config.js';
import type { Engine } from '../core/engine.js';
import { MemoryError } from '../errors.js';

type Kind = keyof NamespaceLimits;

const NAMES: Record<Kind, [setting: string, what: string]> = {
  memories: ['QUOTA_MEMORIES_PER_NAMESPACE', 'long-term memories'],
  sessions: ['QUOTA_SESSIONS_PER_NAMESPACE', 'working-memory sessions'],
  messages: ['QUOTA_MESSAGES_PER_NAMESPACE', 'working-memory messages'],
};

/** How long a namespace's counted usage is trusted; a refused write recounts sooner, so deletes free room fast. */
const FRESH_MS = 5_000;
const RECOUNT_AFTER_REFUSAL_MS = 500;
/** From this share of a limit on, usage is recounted after every write whose size is not known. */
const NEAR_LIMIT = 0.8;

interface Usage extends NamespaceLimits {
  at: number;
}

/**
 * What a namespace written by confined callers may hold. The store's counts are read at most every few seconds
 * and this process's own additions are added meanwhile, so a check costs nothing on most writes; a namespace at its
 * limit takes nothing more of that kind until it drops below it (writes of other processes in the last few seconds
 * can overshoot it by their size). Background tasks are bounded with it: each session has at most one pending task
 * of each kind.
 */
export class NamespaceQuotas {
  private readonly usage = new Map<string, Usage>();

  constructor(
    private readonly engine: Pick<Engine, 'store'>,
    private readonly limits: NamespaceLimits,
  ) {}

  get active(): boolean {
    return this.limits.memories > 0 || this.limits.sessions > 0 || this.limits.messages > 0;
  }

  /** Throws a 403 naming the limit when `namespace` is full for a kind `add` grows; else counts `add` as used. */
  async admit(namespace: string | null, add: Partial<NamespaceLimits>, opts: { count?: boolean } = {}): Promise<void> {
    if (!this.active || namespace === null) return;
    const kinds = (Object.keys(add) as Kind[]).filter((k) => (add[k] ?? 0) > 0 && this.limits[k] > 0);
    if (!kinds.length) return;
    let usage = await this.current(namespace, FRESH_MS);
    let full = kinds.find((k) => usage[k] >= this.limits[k]);
    if (full) {
      usage = await this.current(namespace, RECOUNT_AFTER_REFUSAL_MS);
      full = kinds.find((k) => usage[k] >= this.limits[k]);
    }
    if (full) {
      const [setting, what] = NAMES[full];
      throw new MemoryError(
        'forbidden',
        `Namespace "${namespace}" holds ${usage[full]} ${what}, its quota (${setting}=${this.limits[full]}): ` +
          'delete some, or ask the operator for a larger quota.',
      );
    }
    // A replacing write (PUT) is checked but not added: what it replaces is not known here.
    if (opts.count !== false) for (const k of kinds) usage[k] += add[k] ?? 0;
  }

  /**
   * After a write whose effect is not known here (a PUT replaces a session's messages, a fork copies them): near a
   * limit, the next write recounts, so the quota holds exactly where it matters and costs nothing far from it.
   */
  settle(namespace: string | null): void {
    const known = namespace === null ? undefined : this.usage.get(namespace);
    if (!known) return;
    const near = (Object.keys(this.limits) as Kind[]).some(
      (k) => this.limits[k] > 0 && known[k] >= this.limits[k] * NEAR_LIMIT,
    );
    if (near) this.usage.delete(namespace as string);
  }

  /** Deleted memories or sessions free their room at once in this process (others see it at their next count). */
  release(namespace: string | null): void {
    // Recounted at the next write: what was deleted may include writes this process did not count.
    if (namespace !== null) this.usage.delete(namespace);
  }

  private async current(namespace: string, maxAgeMs: number): Promise<Usage> {
    const known = this.usage.get(namespace);
    if (known && Date.now() - known.at < maxAgeMs) return known;
    const c = await this.engine.store.counts({ namespace });
    const fresh = { memories: c.memories, sessions: c.sessions, messages: c.messages, at: Date.now() };
    if (this.usage.size > 10_000) this.usage.clear();
    this.usage.set(namespace, fresh);
    return fresh;
  }
}

const perEngine = new WeakMap<object, NamespaceQuotas>();

/** The one quota keeper of an engine, shared by every request and MCP session it serves. */
export function quotasOf(engine: Engine): NamespaceQuotas {
  let q = perEngine.get(engine);
  if (!q) {
    q = new NamespaceQuotas(engine, engine.config.quotas);
    perEngine.set(engine, q);
  }
  return q;
}
