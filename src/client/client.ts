import { ActivityApi } from './activity-api.js';
import { AgentMemoryApi } from './agent-memory-api.js';
import { type ClientContext, defaultTagFilter, encode, orDefault, scopeOf } from './context.js';
import { LongTermApi } from './long-term-api.js';
import { SummaryViewsApi } from './summary-views-api.js';
import { type ClientOptionsInput, sleep, Transport } from './transport.js';
import type {
  EraseReport,
  HealthResponse,
  MemoryPromptRequest,
  MemoryPromptResponse,
  StatsResponse,
  Task,
} from './types.js';
import { WorkingMemoryApi } from './working-memory-api.js';

/** Background tasks (extraction, compaction, summary-view runs). */
export class TasksApi {
  constructor(private readonly ctx: ClientContext) {}

  async get(taskId: string): Promise<Task> {
    const { body } = await this.ctx.transport.request<Task>({
      method: 'GET',
      path: `/v1/tasks/${encode(taskId)}`,
      idempotent: true,
    });
    return body;
  }

  /** Polls until the task succeeded or failed (its last state), or `timeoutMs` passed (then it throws). */
  async wait(taskId: string, opts: { timeoutMs?: number; intervalMs?: number; signal?: AbortSignal } = {}) {
    const deadline = Date.now() + (opts.timeoutMs ?? 60_000);
    for (;;) {
      const task = await this.get(taskId);
      if (task.status === 'success' || task.status === 'failed') return task;
      if (Date.now() > deadline) throw new Error(`task ${taskId} is still ${task.status} after ${opts.timeoutMs} ms`);
      await sleep(opts.intervalMs ?? 250, opts.signal);
    }
  }
}

/**
 * A typed client of the agent-memory REST API (and of Redis Agent Memory Server's, whose routes it shares).
 *
 * ```ts
 * const memory = new MemoryClient({ baseUrl: 'http://127.0.0.1:8000', namespace: 'chat', userId: 'alice' });
 * await memory.longTerm.create([{ text: 'Alice prefers window seats' }]);
 * const { memories } = await memory.longTerm.search({ text: 'where does alice like to sit?' });
 * ```
 */
export class MemoryClient {
  readonly workingMemory: WorkingMemoryApi;
  readonly longTerm: LongTermApi;
  readonly activity: ActivityApi;
  readonly summaryViews: SummaryViewsApi;
  readonly tasks: TasksApi;
  /** States, actions and interactions of agents at steps (/v1/agent-memory). */
  readonly agents: AgentMemoryApi;
  private readonly ctx: ClientContext;

  constructor(options: ClientOptionsInput) {
    const transport = new Transport(options);
    const { namespace, userId } = transport.settings;
    this.ctx = { transport, defaults: { namespace, user_id: userId } };
    this.workingMemory = new WorkingMemoryApi(this.ctx);
    this.longTerm = new LongTermApi(this.ctx);
    this.activity = new ActivityApi(this.ctx);
    this.summaryViews = new SummaryViewsApi(this.ctx);
    this.tasks = new TasksApi(this.ctx);
    this.agents = new AgentMemoryApi(this.ctx);
  }

  /** The namespace and user calls that name none apply to. */
  get defaults() {
    return { ...this.ctx.defaults };
  }

  /** A client like this one for another user or namespace (same server, token and retry settings). */
  withScope(scope: { namespace?: string; userId?: string }): MemoryClient {
    const { settings } = this.ctx.transport;
    return new MemoryClient({
      ...settings,
      namespace: scope.namespace ?? settings.namespace,
      userId: scope.userId ?? settings.userId,
    });
  }

  async health(): Promise<HealthResponse> {
    return (await this.ctx.transport.request<HealthResponse>({ method: 'GET', path: '/v1/health', idempotent: true }))
      .body;
  }

  /** Counts of memories and sessions in the client's scope (`null` for the whole store, with an admin token). */
  async stats(opts: { namespace?: string | null; user_id?: string | null } = {}): Promise<StatsResponse> {
    const { body } = await this.ctx.transport.request<StatsResponse>({
      method: 'GET',
      path: '/v1/stats',
      query: { ...scopeOf(this.ctx, opts) },
      idempotent: true,
    });
    return body;
  }

  /** Prometheus metrics (needs an admin token not confined to a namespace). */
  async metrics(): Promise<string> {
    const { body } = await this.ctx.transport.request<string>({
      method: 'GET',
      path: '/metrics',
      idempotent: true,
      text: true,
    });
    return body;
  }

  /**
   * The messages to answer `query` with memory: the session's summary and recent messages, the long-term
   * memories relevant to the query, then the query. The client's namespace and user scope both parts.
   */
  async memoryPrompt(request: MemoryPromptRequest, opts: { optimizeQuery?: boolean } = {}) {
    const { namespace, user_id } = this.ctx.defaults;
    const session = request.session
      ? {
          ...request.session,
          namespace: orDefault(request.session.namespace, namespace) ?? null,
          user_id: orDefault(request.session.user_id, user_id) ?? null,
        }
      : request.session;
    const lts = request.long_term_search;
    const long_term_search =
      lts && typeof lts === 'object'
        ? {
            ...lts,
            namespace: defaultTagFilter(lts.namespace, namespace),
            user_id: defaultTagFilter(lts.user_id, user_id),
          }
        : lts;
    const { body } = await this.ctx.transport.request<MemoryPromptResponse>({
      method: 'POST',
      path: '/v1/memory/prompt',
      query: { optimize_query: opts.optimizeQuery },
      body: { ...request, session, long_term_search },
      idempotent: true,
    });
    return body;
  }

  /** Erases a user's sessions, memories, history and cached vectors: in every namespace unless one is given. */
  async eraseUser(userId: string, opts: { namespace?: string } = {}): Promise<EraseReport> {
    const { body } = await this.ctx.transport.request<EraseReport>({
      method: 'DELETE',
      path: `/v1/users/${encode(userId)}`,
      query: { namespace: opts.namespace },
      idempotent: true,
    });
    return body;
  }
}
