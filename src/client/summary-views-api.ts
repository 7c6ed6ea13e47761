import { ulid } from '../util/ulid.js';
import { type ClientContext, encode } from './context.js';
import type {
  Ack,
  NewSummaryView,
  SummaryView,
  SummaryViewPartitionFilter,
  SummaryViewPartitionResult,
  Task,
} from './types.js';

/** Summary views: LLM summaries of long-term memories grouped by user, namespace, session or type. */
export class SummaryViewsApi {
  constructor(private readonly ctx: ClientContext) {}

  private async call<T>(method: 'GET' | 'POST' | 'DELETE', path: string, body?: unknown, query?: object) {
    // Creating a view mints a new id, so only its 429 is retried; every other call is safe to repeat.
    const idempotent = !(method === 'POST' && path === '/v1/summary-views');
    const res = await this.ctx.transport.request<T>({
      method,
      path,
      body,
      query: query as Record<string, string>,
      idempotent,
    });
    return res.body;
  }

  list(): Promise<SummaryView[]> {
    return this.call('GET', '/v1/summary-views');
  }

  create(view: NewSummaryView): Promise<SummaryView> {
    return this.call('POST', '/v1/summary-views', view);
  }

  get(viewId: string): Promise<SummaryView> {
    return this.call('GET', `/v1/summary-views/${encode(viewId)}`);
  }

  delete(viewId: string): Promise<Ack> {
    return this.call('DELETE', `/v1/summary-views/${encode(viewId)}`);
  }

  /** Summarizes one partition now (`group`: one value per `group_by` field); 503 without an LLM. */
  runPartition(viewId: string, group: Record<string, string>): Promise<SummaryViewPartitionResult> {
    return this.call('POST', `/v1/summary-views/${encode(viewId)}/partitions/run`, { group });
  }

  /** The partition summaries earlier runs stored. */
  partitions(viewId: string, filter: SummaryViewPartitionFilter = {}): Promise<SummaryViewPartitionResult[]> {
    return this.call('GET', `/v1/summary-views/${encode(viewId)}/partitions`, undefined, filter);
  }

  /** Queues a full recompute; poll the task with `client.tasks.wait(task.id)`. */
  run(viewId: string, opts: { task_id?: string; force?: boolean } = {}): Promise<Task> {
    // A task id chosen here makes a retried request a 409, never a second run.
    return this.call('POST', `/v1/summary-views/${encode(viewId)}/run`, { task_id: ulid(), ...opts });
  }
}
