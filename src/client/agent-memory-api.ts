import type { AgentMemoryType, AgentRecordInput, AgentStoreResult, Location } from '../models/agent.js';
import type { MemoryRecordResults } from '../models/memory-record.js';
import type { SearchRequestInput } from '../models/search.js';
import { type ClientContext, definedOnly, encode } from './context.js';

/** One record of a batch: its agent and kind beside the record. */
export type AgentBatchRecord = AgentRecordInput & { agent_id: string; memory_type: AgentMemoryType };
export type { AgentRecordInput, AgentStoreResult, Location };

const SEGMENT: Record<AgentMemoryType, string> = { state: 'states', action: 'actions', interaction: 'interactions' };

/** /v1/agent-memory: states, actions and interactions of agents at steps, and their retrieval (issue 15). */
export class AgentMemoryApi {
  constructor(private readonly ctx: ClientContext) {}

  private scoped<T extends object>(record: T): T {
    const { namespace, user_id } = this.ctx.defaults;
    return { ...definedOnly({ namespace, user_id }), ...record };
  }

  async store(kind: AgentMemoryType, agentId: string, record: AgentRecordInput): Promise<AgentStoreResult> {
    const { body } = await this.ctx.transport.request<AgentStoreResult>({
      method: 'POST',
      path: `/v1/agent-memory/${encode(agentId)}/${SEGMENT[kind]}`,
      body: this.scoped(record),
      // Safe to retry: a record stored twice is kept once (same agent, step, place and content).
      idempotent: true,
    });
    return body;
  }

  storeState(agentId: string, record: AgentRecordInput) {
    return this.store('state', agentId, record);
  }
  storeAction(agentId: string, record: AgentRecordInput) {
    return this.store('action', agentId, record);
  }
  storeInteraction(agentId: string, record: AgentRecordInput) {
    return this.store('interaction', agentId, record);
  }

  /** Up to 1,000 records of any agents and kinds in one write. */
  async batch(records: AgentBatchRecord[]): Promise<AgentStoreResult> {
    const { body } = await this.ctx.transport.request<AgentStoreResult>({
      method: 'POST',
      path: '/v1/agent-memory/batch',
      body: { records: records.map((r) => this.scoped(r)) },
      idempotent: true,
    });
    return body;
  }

  /** One agent's memories by text, step range, place, type, importance and declared attributes. */
  async search(agentId: string, query: Omit<SearchRequestInput, 'agent_id'>): Promise<MemoryRecordResults> {
    const { namespace } = this.ctx.defaults;
    const { body } = await this.ctx.transport.request<MemoryRecordResults>({
      method: 'POST',
      path: `/v1/agent-memory/${encode(agentId)}/search`,
      body: { ...(namespace && query.namespace === undefined ? { namespace: { eq: namespace } } : {}), ...query },
      idempotent: true,
    });
    return body;
  }
}
