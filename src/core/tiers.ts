import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { invalid } from '../errors.js';
import { COMPRESSED_KEY, isAgentMemoryType, type MemoryTier } from '../models/agent.js';
import type { StoreFilter } from '../models/filters.js';
import type { MemoryRecord } from '../models/memory-record.js';
import type { MemoryStore } from '../store/port.js';

/** When memories leave a tier; null turns a rule off. Ages count from the memory's last write (its tier move). */
export interface TierLimit {
  /** At most this many memories per agent and namespace stay; the ones with the lowest tier_step leave first. */
  maxCount: number | null;
  /** A memory whose tier_step is more than this many steps behind the agent's latest step leaves. */
  maxSteps: number | null;
  maxAgeSeconds: number | null;
}

export interface TierPolicy {
  stm: TierLimit;
  im: TierLimit;
  /** Detailed reads of an IM memory that bring it back to STM. */
  promoteReads: number;
  /** Characters of text an LTM memory keeps (the full text stays in its compressed form). */
  ltmTextChars: number;
  /** Minutes between scheduled maintenance passes; 0: only on demand. */
  everyMinutes: number;
}

/** What an IM or LTM memory keeps compressed: its full content, the full text (LTM) and its detailed reads. */
interface Archive {
  content: Record<string, unknown>;
  text?: string;
  reads: number;
}

const BATCH = 200;

function pack(archive: Archive): string {
  return deflateRawSync(Buffer.from(JSON.stringify(archive), 'utf8')).toString('base64');
}

/** The compressed form of an IM or LTM record, or null for a memory kept in full detail. */
export function archiveOf(r: MemoryRecord): Archive | null {
  const packed = r.content?.[COMPRESSED_KEY];
  if (typeof packed !== 'string') return null;
  try {
    return JSON.parse(inflateRawSync(Buffer.from(packed, 'base64')).toString('utf8')) as Archive;
  } catch {
    throw invalid(`memory "${r.id}": its compressed content cannot be read`);
  }
}

/** A record in full detail (the content and text its compressed form holds), and that form (null in STM). */
function detailOf(r: MemoryRecord): { full: MemoryRecord; archive: Archive | null } {
  const archive = archiveOf(r);
  return { archive, full: archive ? { ...r, content: archive.content, text: archive.text ?? r.text } : r };
}

/** A record in full detail: the content and text its compressed form holds (the record itself when in STM). */
export const fullDetail = (r: MemoryRecord): MemoryRecord => detailOf(r).full;

/** Sets `path` (keys after `content.`) of `out` to the value it has in `from`, when it has one. */
function copyPath(from: Record<string, unknown>, out: Record<string, unknown>, keys: string[]): void {
  let src: unknown = from;
  for (const k of keys) {
    if (src === null || typeof src !== 'object' || Array.isArray(src)) return;
    src = (src as Record<string, unknown>)[k];
  }
  if (src === undefined) return;
  let dst = out;
  for (const k of keys.slice(0, -1)) {
    if (typeof dst[k] !== 'object' || dst[k] === null) dst[k] = {};
    dst = dst[k] as Record<string, unknown>;
  }
  dst[keys[keys.length - 1]!] = src;
}

/** The first `chars` characters of a text, cut at a word boundary when one is near. */
export function shortText(text: string, chars: number): string {
  if (text.length <= chars) return text;
  const cut = text.slice(0, chars);
  const space = cut.lastIndexOf(' ');
  return `${(space > chars * 0.6 ? cut.slice(0, space) : cut).trimEnd()}…`;
}

/**
 * A full-detail record in the form of `tier`: IM keeps the text and compresses the content, LTM also keeps only a
 * short text. Declared content paths (AGENT_ATTRIBUTE_PATHS) stay in clear, so attribute filters see every tier.
 */
export function inTier(
  full: MemoryRecord,
  tier: MemoryTier,
  opts: { declared: readonly string[]; ltmTextChars: number; reads?: number; tierStep?: number; nowIso: string },
): MemoryRecord {
  const base = { ...full, memory_tier: tier, tier_step: opts.tierStep ?? full.tier_step, updated_at: opts.nowIso };
  if (tier === 'stm' || full.content === undefined) return base;
  const clear: Record<string, unknown> = {};
  for (const path of opts.declared) {
    if (path.startsWith('content.')) copyPath(full.content, clear, path.split('.').slice(1));
  }
  const short = tier === 'ltm' ? shortText(full.text, opts.ltmTextChars) : full.text;
  const archive: Archive = { content: full.content, reads: opts.reads ?? 0 };
  if (short !== full.text) archive.text = full.text;
  return { ...base, text: short, content: { ...clear, [COMPRESSED_KEY]: pack(archive) } };
}

/** Writes records in place (same ids and history); the vector of each is that of its full text. */
export type Rewrite = (records: MemoryRecord[], vectorTexts: string[]) => Promise<void>;

/** One agent's memories: all of them, or those of one namespace (a pass confined to it). */
export interface AgentScope {
  agent_id: string;
  namespace?: string;
}

export interface TierCounts {
  stm: number;
  im: number;
  ltm: number;
}

export interface MaintenanceReport {
  agents: number;
  moved: { stm_to_im: number; im_to_ltm: number };
  before: TierCounts;
  after: TierCounts;
  stopped: boolean;
}

const NEXT: Record<'stm' | 'im', MemoryTier> = { stm: 'im', im: 'ltm' };

function scopeFilter(a: AgentScope, extra: Partial<NonNullable<StoreFilter['agent']>> = {}): StoreFilter {
  return {
    tags: a.namespace === undefined ? {} : { namespace: { eq: a.namespace } },
    times: {},
    agent: { agent_id: { eq: a.agent_id }, ...extra },
  };
}

/**
 * The tiers of agent memories (issue 15). Everything runs as store queries over one agent at a time, a batch of
 * at most 200 memories per write, yielding between batches and stopping when `signal` aborts.
 */
export class AgentTiers {
  constructor(
    private readonly store: MemoryStore,
    private readonly rewrite: Rewrite,
    private readonly policy: TierPolicy,
    private readonly declared: readonly string[],
  ) {}

  get limits(): TierPolicy {
    return this.policy;
  }

  async counts(filterOf: (tier: MemoryTier) => StoreFilter): Promise<TierCounts> {
    const [stm, im, ltm] = await Promise.all(
      (['stm', 'im', 'ltm'] as const).map((t) => this.store.countMemories(filterOf(t))),
    );
    return { stm: stm!, im: im!, ltm: ltm! };
  }

  /** One pass over the agents of `scope` (every agent with memories in STM or IM when none is named). */
  async maintain(scope: { agent_id?: string; namespace?: string }, signal?: AbortSignal): Promise<MaintenanceReport> {
    const ids = scope.agent_id !== undefined ? [scope.agent_id] : await this.store.tieredAgents(scope);
    const agents: AgentScope[] = ids.map((agent_id) => ({ agent_id, namespace: scope.namespace }));
    const report: MaintenanceReport = {
      agents: agents.length,
      moved: { stm_to_im: 0, im_to_ltm: 0 },
      before: { stm: 0, im: 0, ltm: 0 },
      after: { stm: 0, im: 0, ltm: 0 },
      stopped: false,
    };
    for (const agent of agents) {
      const before = await this.counts((t) => scopeFilter(agent, { tiers: [t] }));
      for (const t of ['stm', 'im', 'ltm'] as const) report.before[t] += before[t];
      report.moved.stm_to_im += await this.moveDown(agent, 'stm', signal);
      report.moved.im_to_ltm += await this.moveDown(agent, 'im', signal);
      const after = await this.counts((t) => scopeFilter(agent, { tiers: [t] }));
      for (const t of ['stm', 'im', 'ltm'] as const) report.after[t] += after[t];
      if (signal?.aborted) {
        report.stopped = true;
        break;
      }
    }
    return report;
  }

  private async latestStep(agent: AgentScope): Promise<number | null> {
    const page = await this.store.listMemories(scopeFilter(agent), 1, 0, { count: false, order: 'step_number' });
    return page.items[0]?.step_number ?? null;
  }

  /** Moves the memories of `from` that its limits no longer keep to the next tier; returns how many moved. */
  private async moveDown(agent: AgentScope, from: 'stm' | 'im', signal?: AbortSignal): Promise<number> {
    const limit = this.policy[from];
    let moved = 0;
    const drain = async (filter: StoreFilter, offset = 0, cap = Number.POSITIVE_INFINITY) => {
      while (!signal?.aborted && cap > 0) {
        const take = Math.min(BATCH, cap);
        const page = await this.store.listMemories(filter, take, offset, { count: false, order: 'tier_step' });
        if (page.items.length === 0) return;
        await this.write(page.items, NEXT[from]);
        moved += page.items.length;
        cap -= page.items.length;
        // Requests waiting on this process go first.
        await new Promise<void>((resolve) => setImmediate(resolve));
      }
    };
    if (limit.maxSteps !== null) {
      const latest = await this.latestStep(agent);
      if (latest !== null)
        await drain(scopeFilter(agent, { tiers: [from], tierStep: { lt: latest - limit.maxSteps } }));
    }
    if (limit.maxAgeSeconds !== null) {
      const f = scopeFilter(agent, { tiers: [from] });
      f.times.updated_at = { lt: Date.now() - limit.maxAgeSeconds * 1000 };
      await drain(f);
    }
    if (limit.maxCount !== null) {
      const f = scopeFilter(agent, { tiers: [from] });
      const over = (await this.store.countMemories(f)) - limit.maxCount;
      // The kept ones are the first maxCount by tier_step; the rest, past them, leave.
      if (over > 0) await drain(f, limit.maxCount, over);
    }
    return moved;
  }

  /** Moves records down to `to`, keeping their count of detailed reads. */
  private async write(records: MemoryRecord[], to: MemoryTier): Promise<void> {
    const nowIso = new Date().toISOString();
    const details = records.map(detailOf);
    const next = details.map(({ full, archive }) =>
      inTier(full, to, {
        declared: this.declared,
        ltmTextChars: this.policy.ltmTextChars,
        reads: archive?.reads,
        nowIso,
      }),
    );
    await this.rewrite(
      next,
      details.map((d) => d.full.text),
    );
  }

  /**
   * A detailed read: the memory in full detail. An LTM memory read in detail returns to IM; an IM memory read
   * `promoteReads` times returns to STM. Either counts from the agent's latest step, so it is not moved down again
   * at once.
   */
  async readDetailed(record: MemoryRecord): Promise<MemoryRecord> {
    if (!isAgentMemoryType(record.memory_type) || record.memory_tier === undefined || record.memory_tier === 'stm') {
      return record;
    }
    const { full, archive } = detailOf(record);
    const reads = (archive?.reads ?? 0) + 1;
    // Read only when the memory moves up: the step its new tier counts from.
    const latest = async () => {
      if (!record.agent_id) return 0;
      const agent = { agent_id: record.agent_id, namespace: record.namespace ?? undefined };
      return (await this.latestStep(agent)) ?? record.step_number ?? 0;
    };
    const nowIso = new Date().toISOString();
    let next: MemoryRecord;
    if (record.memory_tier === 'ltm') {
      next = inTier(full, 'im', {
        declared: this.declared,
        ltmTextChars: 0,
        reads: 0,
        tierStep: await latest(),
        nowIso,
      });
    } else if (reads >= this.policy.promoteReads) {
      next = inTier(full, 'stm', { declared: this.declared, ltmTextChars: 0, tierStep: await latest(), nowIso });
    } else {
      // Still IM: only the count of detailed reads changes; updated_at stays, so reads do not reset the age rule.
      next = inTier(full, 'im', {
        declared: this.declared,
        ltmTextChars: 0,
        reads,
        tierStep: record.tier_step,
        nowIso: record.updated_at,
      });
    }
    await this.rewrite([next], [full.text]);
    return { ...full, memory_tier: next.memory_tier, tier_step: next.tier_step, updated_at: next.updated_at };
  }
}
