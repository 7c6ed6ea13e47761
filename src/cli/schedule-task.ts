import { parseArgs } from 'node:util';
import type { Config } from '../config.js';
import { sessionPayload, TASK } from '../core/background.js';
import { openEngine } from '../core/engine.js';
import { invalid } from '../errors.js';
import type { EnqueueOptions } from '../store/tasks.js';

type Value = string | number | boolean;
type Args = Record<string, Value>;

/** `key=value` as the reference's schedule-task reads it: true/false, integers and decimals become numbers. */
export function parseTaskArg(arg: string): [string, Value] {
  const eq = arg.indexOf('=');
  if (eq <= 0) throw invalid(`--args ${JSON.stringify(arg)}: use key=value`);
  const key = arg.slice(0, eq);
  const raw = arg.slice(eq + 1);
  if (raw.toLowerCase() === 'true') return [key, true];
  if (raw.toLowerCase() === 'false') return [key, false];
  if (/^\d+$/.test(raw)) return [key, Number.parseInt(raw, 10)];
  if (/^\d*\.\d+$|^\d+\.\d*$/.test(raw)) return [key, Number.parseFloat(raw)];
  return [key, raw];
}

interface TaskKind {
  /** What the reference's function does, mapped onto which of our task kinds. */
  build(args: Args, config: Config): Omit<EnqueueOptions, 'maxAttempts'>;
}

const text = (args: Args, key: string): string | null => {
  const v = args[key];
  if (v === undefined) return null;
  if (typeof v !== 'string' || !v) throw invalid(`${key}: expected a non-empty string, got ${JSON.stringify(v)}`);
  return v;
};

function only(args: Args, allowed: string[], task: string, why: string): void {
  const extra = Object.keys(args).filter((k) => !allowed.includes(k));
  if (extra.length) {
    const takes = allowed.length ? `it takes ${allowed.join(', ')}` : 'it takes no arguments';
    throw invalid(`${task} cannot take ${extra.join(', ')} here: ${takes}. ${why}`.trim());
  }
}

function sessionTask(kind: string, name: string): TaskKind {
  return {
    build(args) {
      only(args, ['session_id', 'namespace', 'user_id'], name, '');
      const session_id = text(args, 'session_id');
      if (!session_id) throw invalid(`${name} needs --args session_id=<session>`);
      const key = { session_id, namespace: text(args, 'namespace'), user_id: text(args, 'user_id') };
      return {
        kind,
        payload: sessionPayload(key),
        runAt: Date.now(),
        // The same key as the server's own scheduling: a pending one for this session is brought forward to now.
        dedupeKey: `${kind}:${JSON.stringify(key)}`,
        onDuplicate: 'postpone',
      };
    },
  };
}

/**
 * The reference's background tasks (Python functions in its Docket task collection) that have a counterpart in
 * our durable queue (src/core/background.ts), by function name. A dotted path must be the reference's module.
 */
const KINDS: Record<string, TaskKind> = {
  compact_long_term_memories: {
    build(args) {
      only(
        args,
        ['namespace', 'user_id'],
        'compact_long_term_memories',
        'Compaction here covers every memory in scope (no limit), with COMPACTION_DISTANCE_THRESHOLD, exact ' +
          'duplicates always and near-duplicates when an LLM is configured; it cannot be limited to a session.',
      );
      return {
        kind: TASK.compact,
        payload: { namespace: text(args, 'namespace'), user_id: text(args, 'user_id') },
        runAt: Date.now(),
      };
    },
  },
  promote_working_memory_to_long_term: sessionTask(TASK.promote, 'promote_working_memory_to_long_term'),
  run_delayed_extraction: sessionTask(TASK.extract, 'run_delayed_extraction'),
  periodic_forget_long_term_memories: {
    build(args, config) {
      only(
        args,
        [],
        'periodic_forget_long_term_memories',
        'Scheduled forgetting applies the FORGETTING_* policy store-wide; for a scoped pass use `agent-memory forget`.',
      );
      if (!config.features.forgetting) {
        throw invalid(
          'periodic_forget_long_term_memories: FORGETTING_ENABLED is off, so there is no policy to apply; set it ' +
            'with FORGETTING_MAX_AGE_DAYS, FORGETTING_MAX_INACTIVE_DAYS or FORGETTING_BUDGET_KEEP_TOP_N.',
        );
      }
      return { kind: TASK.forget, payload: { scheduled: false }, runAt: Date.now() };
    },
  },
};

/** Reference tasks with no queued counterpart here, and why. */
const NOT_QUEUED: Record<string, string> = {
  forget_long_term_memories: 'run `agent-memory forget` with the policy as flags (it is a dry run unless --apply)',
  extract_memory_structure:
    'topics and entities are added by enrichment, queued by the server when memories are created',
  extract_memories_with_strategy: 'extraction runs per session: schedule run_delayed_extraction with session_id',
  summarize_session: 'sessions are summarized when a write goes over the context window (set_working_memory)',
  index_long_term_memories: 'memories are indexed before the call that creates them returns',
  delete_long_term_memories: 'use DELETE /v1/long-term-memory or the delete_long_term_memories MCP tool',
  update_last_accessed: 'access times are recorded by every search and read',
  refresh_summary_view: 'summary views are not implemented by this server yet',
  periodic_refresh_summary_views: 'summary views are not implemented by this server yet',
};

/**
 * `agent-memory schedule-task <task> [--args key=value ...]`: queues one background task by the reference's name
 * (`agent_memory_server.long_term_memory.compact_long_term_memories` or just `compact_long_term_memories`) on the
 * configured store; a running `api`, `mcp` or `worker` process runs it. Prints the task id (GET /v1/tasks/{id}).
 */
export async function scheduleTaskCommand(argv: string[], config: Config): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: { args: { type: 'string', short: 'a', multiple: true }, json: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) {
    throw invalid('schedule-task needs one task name, e.g. agent-memory schedule-task compact_long_term_memories');
  }
  const path = positionals[0]!;
  const name = path.includes('.') ? path.slice(path.lastIndexOf('.') + 1) : path;
  if (path.includes('.') && !path.startsWith('agent_memory_server.')) {
    throw invalid(`schedule-task: "${path}" is not one of the reference server's tasks (agent_memory_server.*)`);
  }
  const kind = KINDS[name];
  if (!kind) {
    const why = NOT_QUEUED[name];
    const supported = Object.keys(KINDS).join(', ');
    throw invalid(
      why
        ? `schedule-task: ${name} is not a queued task on this server: ${why}. Queued tasks: ${supported}.`
        : `schedule-task: unknown task "${path}". Queued tasks: ${supported}.`,
    );
  }
  const args: Args = {};
  for (const a of values.args ?? []) {
    const [k, v] = parseTaskArg(a);
    args[k] = v;
  }
  const job = kind.build(args, config);
  // Manual worker: this process only queues; the servers and workers on the store run the task.
  const engine = await openEngine(config, { autoStartWorker: false, skipModelCheck: true });
  try {
    const task = await engine.llm.background.enqueue(job, false);
    if (values.json) {
      process.stdout.write(
        `${JSON.stringify({ id: task.id, type: task.kind, status: task.status, payload: task.payload })}\n`,
      );
    } else {
      process.stdout.write(`scheduled ${name} as task ${task.id} (${task.kind}, ${task.status})\n`);
    }
    process.stderr.write('a running agent-memory api, mcp or worker process on this store runs it\n');
  } finally {
    await engine.close();
  }
}
