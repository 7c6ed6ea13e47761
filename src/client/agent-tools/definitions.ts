/**
 * The memory tools an application hands its model, for any framework. Each is the MCP tool of the same name
 * (same description, argument schemas picked from its own), executed through the REST client. Who the memories
 * belong to is the application's choice, not the model's: namespace, user and session are not arguments, they
 * come from the client's scope, and a memory outside it is treated as missing.
 */
import { z } from 'zod';
import createTool from '../../../tools/create-long-term-memories.js';
import deleteTool from '../../../tools/delete-long-term-memories.js';
import editTool from '../../../tools/edit-long-term-memory.js';
import datetimeTool from '../../../tools/get-current-datetime.js';
import getTool from '../../../tools/get-long-term-memory.js';
import searchTool from '../../../tools/search-memory.js';
import { ToolMemoryInput } from '../../../tools/shared.js';
import { MemoryRecordPatch } from '../../models/memory-record.js';
import type { MemoryClient } from '../client.js';
import { MemoryNotFoundError } from '../errors.js';
import type { MemoryRecord } from '../types.js';

export interface AgentTool<S extends z.ZodObject = z.ZodObject> {
  name: string;
  description: string;
  /** What the model sends; validated before anything is called. */
  schema: S;
  /** True for tools that only read. */
  readOnly: boolean;
  run(args: z.output<S>, client: MemoryClient): Promise<unknown>;
}

const define = <S extends z.ZodObject>(tool: AgentTool<S>) => tool as unknown as AgentTool;

// A model that adds a field of its own (a user_id, say) is not failed for it: unknown keys are dropped.

/** What a model needs of a memory: no hashes, counters or extraction bookkeeping. */
const brief = (m: MemoryRecord & { score?: number }) => ({
  id: m.id,
  text: m.text,
  memory_type: m.memory_type,
  topics: m.topics,
  entities: m.entities,
  event_date: m.event_date,
  created_at: m.created_at,
  pinned: m.pinned,
  ...(m.score === undefined ? {} : { score: Number(m.score.toFixed(3)) }),
});

/** A memory by id, only if it belongs to the client's scope (the server already checks the namespace). */
async function ownMemory(client: MemoryClient, id: string): Promise<MemoryRecord> {
  const record = await client.longTerm.get(id);
  const { user_id } = client.defaults;
  if (user_id !== undefined && record.user_id !== user_id) {
    throw new MemoryNotFoundError({
      status: 404,
      detail: `No long-term memory with id "${id}".`,
      method: 'GET',
      path: `/v1/long-term-memory/${id}`,
    });
  }
  return record;
}

const searchArgs = z.object(searchTool.input).pick({
  query: true,
  topics: true,
  entities: true,
  memory_type: true,
  created_at: true,
  event_date: true,
  limit: true,
  offset: true,
});

const newMemory = ToolMemoryInput.pick({
  text: true,
  memory_type: true,
  topics: true,
  entities: true,
  event_date: true,
  pinned: true,
  importance: true,
}).strip();

const memoryPatch = MemoryRecordPatch.pick({
  text: true,
  topics: true,
  entities: true,
  memory_type: true,
  event_date: true,
  pinned: true,
  importance: true,
});

export const AGENT_TOOLS = [
  define({
    name: searchTool.name,
    description: searchTool.description,
    schema: searchArgs,
    readOnly: true,
    async run({ query, ...filters }, client) {
      const page = await client.longTerm.search({ ...filters, text: query });
      return { total: page.total, next_offset: page.next_offset, memories: page.memories.map(brief) };
    },
  }),
  define({
    name: createTool.name,
    description: createTool.description,
    schema: z.object({
      memories: z.array(newMemory).min(1).max(100).describe('The memories to store, one fact or event each.'),
    }),
    readOnly: false,
    async run({ memories }, client) {
      const out = await client.longTerm.create(memories);
      return { created: out.created, updated: out.updated, duplicates: out.duplicates, memories: out.memories };
    },
  }),
  define({
    name: getTool.name,
    description: getTool.description,
    schema: z.object(getTool.input),
    readOnly: true,
    async run({ memory_id }, client) {
      return brief(await ownMemory(client, memory_id));
    },
  }),
  define({
    name: editTool.name,
    description: editTool.description,
    schema: z.object({ memory_id: editTool.input.memory_id, ...memoryPatch.shape }),
    readOnly: false,
    async run({ memory_id, ...patch }, client) {
      await ownMemory(client, memory_id);
      return brief(await client.longTerm.edit(memory_id, patch));
    },
  }),
  define({
    name: deleteTool.name,
    description: deleteTool.description,
    schema: z.object(deleteTool.input),
    readOnly: false,
    async run({ memory_ids }, client) {
      const own: string[] = [];
      for (const id of memory_ids) {
        try {
          own.push((await ownMemory(client, id)).id);
        } catch (err) {
          if (!(err instanceof MemoryNotFoundError)) throw err;
        }
      }
      const { deleted } = own.length ? await client.longTerm.delete(own) : { deleted: 0 };
      return { deleted, not_found: memory_ids.filter((id) => !own.includes(id)) };
    },
  }),
  define({
    name: datetimeTool.name,
    description: datetimeTool.description,
    schema: z.object(datetimeTool.input),
    readOnly: true,
    // Needs no server: the MCP tool's own answer.
    run: () => datetimeTool.run({}, undefined as never),
  }),
];

export type AgentToolName =
  | 'search_memory'
  | 'create_long_term_memories'
  | 'get_long_term_memory'
  | 'edit_long_term_memory'
  | 'delete_long_term_memories'
  | 'get_current_datetime';
