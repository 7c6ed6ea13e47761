import type { AgentBatchRecord, AgentMemoryApi, Location } from './agent-memory-api.js';

/** An agent the hooks can wrap: it acts on an observation and returns a result. */
export interface ActingAgent<O, R> {
  act(observation: O): R | Promise<R>;
}

export interface AgentHooksOptions<A, O, R> {
  agentId: string;
  /** The agent's state as JSON, read before and after each action. */
  getState: (agent: A) => Record<string, unknown>;
  /** Where the agent is, from its state (stored as the memory's location). */
  locationOf?: (state: Record<string, unknown>) => Location | undefined;
  /** The action record's content (default: the observation and the result). */
  describeAction?: (observation: O, result: R) => Record<string, unknown>;
  /** Importance 0–1 from the states around an action (default: changeImportance). */
  importance?: (before: Record<string, unknown>, after: Record<string, unknown>) => number;
  /** The first step number (default 0); each action advances it by one. */
  firstStep?: number;
  /** Told of every memory failure; by default it is logged with console.warn. The agent never sees it. */
  onError?: (err: unknown) => void;
}

/** The scalar leaves of a JSON value, by path. */
function leaves(value: unknown, prefix = '', out = new Map<string, unknown>()): Map<string, unknown> {
  if (value !== null && typeof value === 'object') {
    for (const [k, v] of Object.entries(value as Record<string, unknown>))
      leaves(v, prefix ? `${prefix}.${k}` : k, out);
  } else {
    out.set(prefix, value);
  }
  return out;
}

/**
 * How much a state changed, 0–1: the share of its values that changed, each numeric change counted by its relative
 * size (a health from 1.0 to 0.5 counts 0.5), a changed text or flag, an added or removed value counting 1.
 */
export function changeImportance(before: Record<string, unknown>, after: Record<string, unknown>): number {
  const a = leaves(before);
  const b = leaves(after);
  const keys = new Set([...a.keys(), ...b.keys()]);
  if (keys.size === 0) return 0;
  let sum = 0;
  for (const k of keys) {
    const x = a.get(k);
    const y = b.get(k);
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') {
      const scale = Math.max(Math.abs(x), Math.abs(y), 1e-9);
      sum += Math.min(1, Math.abs(x - y) / scale);
    } else sum += 1;
  }
  return Math.round(Math.min(1, sum / keys.size) * 1000) / 1000;
}

const clone = (state: Record<string, unknown>) => JSON.parse(JSON.stringify(state)) as Record<string, unknown>;

/**
 * Wraps an agent so that each `act` is remembered: the state before (once, at the first step) and after each
 * action, and the action with its result, scored by how much the state changed. Memory never breaks the agent:
 * a failed write is reported to `onError` and the agent's result is returned as if memory worked; the agent's own
 * errors are recorded as the action's outcome and thrown on unchanged.
 */
export function withAgentMemory<A extends ActingAgent<O, R>, O, R>(
  memory: AgentMemoryApi,
  agent: A,
  opts: AgentHooksOptions<A, O, R>,
): ActingAgent<O, R> & { readonly step: number; flushed: Promise<void> } {
  let step = opts.firstStep ?? 0;
  let first = true;
  const score = opts.importance ?? changeImportance;
  const report =
    opts.onError ?? ((err: unknown) => console.warn('agent memory: a write failed; the agent goes on', err));
  const stateRecord = (content: Record<string, unknown>, at: number, importance: number): AgentBatchRecord => {
    const location = opts.locationOf?.(content);
    return {
      agent_id: opts.agentId,
      memory_type: 'state',
      step_number: at,
      content,
      importance,
      ...(location ? { location } : {}),
    };
  };
  const wrapped = {
    get step() {
      return step;
    },
    /** The last write: await it to be sure a test or a shutdown sees what was stored. */
    flushed: Promise.resolve(),
    async act(observation: O): Promise<R> {
      let before: Record<string, unknown> | undefined;
      try {
        before = clone(opts.getState(agent));
      } catch (err) {
        report(err);
      }
      let result: R | undefined;
      let failure: unknown;
      let failed = false;
      try {
        result = await agent.act(observation);
      } catch (err) {
        failed = true;
        failure = err;
      }
      const at = step;
      step += 1;
      try {
        const after = clone(opts.getState(agent));
        const importance = before ? score(before, after) : 0.5;
        const records: AgentBatchRecord[] = [];
        if (first && before) records.push(stateRecord(before, at, 0.5));
        const action = failed
          ? { observation, error: failure instanceof Error ? failure.message : String(failure) }
          : (opts.describeAction?.(observation, result as R) ?? { observation, result });
        records.push({
          agent_id: opts.agentId,
          memory_type: 'action',
          step_number: at,
          content: JSON.parse(JSON.stringify(action ?? {})) as Record<string, unknown>,
          importance,
        });
        records.push(stateRecord(after, at + 1, importance));
        first = false;
        wrapped.flushed = memory.batch(records).then(
          () => undefined,
          (err) => report(err),
        );
        await wrapped.flushed;
      } catch (err) {
        report(err);
      }
      if (failed) throw failure;
      return result as R;
    },
  };
  return wrapped;
}
