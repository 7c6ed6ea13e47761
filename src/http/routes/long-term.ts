import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { patchFromCopy } from '../../core/record-copy.js';
import { invalid, notFound as notFoundError } from '../../errors.js';
import { Identifier } from '../../models/common.js';
import { MemoryType } from '../../models/memory-record.js';
import type { AppEnv } from '../env.js';
import {
  AckResponse,
  CompactionReport,
  CreateMemoryRecordRequest,
  CreateMemoryResponse,
  ForgetBody,
  ForgetReport,
  MemoryListResponse,
  MemoryRecord,
  MemoryRecordPatchBody,
  MemoryRecordResults,
  queryBool,
  queryInt,
  queryList,
  SearchRequest,
} from '../schemas.js';
import { badRequest, bearerAuth, commonErrors, conflict, jsonBody, jsonContent, notFound } from './openapi-helpers.js';
import { type OptimizeOptions, optimizedText } from './optimize.js';

/** `?namespace=` beside an id: the reference's clients send their default namespace with every call. */
const NamespaceInScope = Identifier.optional();

const tags = ['Long-term memory'];
const MemoryPath = z.object({
  memory_id: Identifier.meta({ example: '01JZ8K3Q4T5V6W7X8Y9Z0A1B2C' }),
});

const createMemories = createRoute({
  method: 'post',
  path: '/v1/long-term-memory',
  tags,
  security: bearerAuth,
  summary: 'Store long-term memories',
  description:
    'Every record needs an `id` (re-sending an id overwrites that memory) and non-empty `text`. Returns once ' +
    'the memories are searchable: the very next search finds them. With `deduplicate`, a memory equal to one ' +
    'already stored (same text, namespace, user, session and type) is not stored twice.',
  request: {
    query: z.object({ namespace: NamespaceInScope.meta({ description: 'Namespace of memories that name none.' }) }),
    body: jsonBody(CreateMemoryRecordRequest),
  },
  responses: { 200: jsonContent(CreateMemoryResponse, 'Stored'), ...badRequest, ...commonErrors, ...conflict },
});

const searchMemories = createRoute({
  method: 'post',
  path: '/v1/long-term-memory/search',
  tags,
  security: bearerAuth,
  summary: 'Search long-term memories (hybrid, keyword or semantic)',
  request: {
    query: z.object({
      optimize_query: queryBool.optional().meta({
        description:
          'Rewrite `text` into a search query with the fast model before searching. Without an LLM, or when the ' +
          'rewrite fails or is slow, the original text is used; the request does not fail because of it.',
      }),
    }),
    body: jsonBody(SearchRequest),
  },
  responses: { 200: jsonContent(MemoryRecordResults, 'Ranked results'), ...badRequest, ...commonErrors },
});

const compactMemories = createRoute({
  method: 'post',
  path: '/v1/long-term-memory/compact',
  tags,
  security: bearerAuth,
  summary: 'Remove duplicate memories and merge near-duplicates',
  description:
    'Deletes exact duplicates (the oldest copy is kept) and, when the server has an LLM, merges memories that ' +
    'state the same fact (never across namespaces or users). Without an LLM only exact duplicates are removed and ' +
    'the report says `semantic: "skipped"` with the reason. Runs before answering. Limited to `namespace` and/or ' +
    '`user_id` when given; a confined token compacts its own namespace (and user) and may not name another. ' +
    'Needs write access.',
  request: {
    query: z.object({
      namespace: Identifier.optional().meta({ description: 'Only memories of this namespace.' }),
      user_id: Identifier.optional().meta({ description: 'Only memories of this user.' }),
    }),
  },
  responses: { 200: jsonContent(CompactionReport, 'What was removed and merged'), ...badRequest, ...commonErrors },
});

const forgetMemories = createRoute({
  method: 'post',
  path: '/v1/long-term-memory/forget',
  tags,
  security: bearerAuth,
  summary: 'Forget memories by age, inactivity or a budget',
  description:
    'Selects memories by `policy` (see ForgetRequest) among those of `namespace`, `user_id` and `session_id` ' +
    '(all when none is given; a confined token forgets only its own), and lists them. Only with `dry_run=false` ' +
    'are they deleted. Pinned memories and `pinned_ids` never go. Needs write access.',
  request: {
    query: z.object({
      namespace: Identifier.optional(),
      user_id: Identifier.optional(),
      session_id: Identifier.optional(),
      limit: queryInt(1)
        .optional()
        .meta({ description: 'Look at only the N oldest memories in scope (default: all of them).' }),
      dry_run: queryBool.default(true).meta({ description: 'false to delete; by default only reports.' }),
    }),
    body: jsonBody(ForgetBody),
  },
  responses: { 200: jsonContent(ForgetReport, 'What was (or would be) forgotten'), ...badRequest, ...commonErrors },
});

const listMemories = createRoute({
  method: 'get',
  path: '/v1/long-term-memory',
  tags,
  security: bearerAuth,
  summary: 'List long-term memories by filters, newest first',
  request: {
    query: z.object({
      namespace: Identifier.optional(),
      user_id: Identifier.optional(),
      session_id: Identifier.optional(),
      memory_type: MemoryType.optional(),
      topics: queryList(Identifier, 'topics')
        .optional()
        .meta({ description: 'Repeatable; matches memories with any of them.' }),
      entities: queryList(Identifier, 'entities')
        .optional()
        .meta({ description: 'Repeatable; matches memories with any of them.' }),
      pinned: queryBool.optional(),
      limit: queryInt(1, 100).default(20),
      offset: queryInt(0).default(0),
    }),
  },
  responses: { 200: jsonContent(MemoryListResponse, 'A page of memories'), ...commonErrors },
});

const getMemory = createRoute({
  method: 'get',
  path: '/v1/long-term-memory/{memory_id}',
  tags,
  security: bearerAuth,
  summary: 'Read one long-term memory',
  request: {
    params: MemoryPath,
    query: z.object({ namespace: NamespaceInScope.meta({ description: 'Not found unless the memory is in it.' }) }),
  },
  responses: { 200: jsonContent(MemoryRecord, 'The memory'), ...commonErrors, ...notFound },
});

const editMemory = createRoute({
  method: 'patch',
  path: '/v1/long-term-memory/{memory_id}',
  tags,
  security: bearerAuth,
  summary: 'Edit one long-term memory (only the fields given)',
  request: { params: MemoryPath, body: jsonBody(MemoryRecordPatchBody) },
  responses: { 200: jsonContent(MemoryRecord, 'The edited memory'), ...badRequest, ...commonErrors, ...notFound },
});

const deleteMemories = createRoute({
  method: 'delete',
  path: '/v1/long-term-memory',
  tags,
  security: bearerAuth,
  summary: 'Delete long-term memories by id',
  request: {
    query: z.object({
      // None deletes nothing and answers "ok, deleted 0 memories", as the reference does.
      memory_ids: z
        .preprocess((v) => (v === undefined ? [] : Array.isArray(v) ? v : [v]), z.array(Identifier))
        .meta({ description: 'Repeat for each id: ?memory_ids=a&memory_ids=b (none deletes nothing)' }),
      namespace: NamespaceInScope.meta({ description: 'Only memories of this namespace are deleted.' }),
    }),
  },
  responses: { 200: jsonContent(AckResponse, '"ok, deleted N memories"'), ...badRequest, ...commonErrors },
});

const tagFilter = (values?: string[]) => (values?.length ? { any: values } : undefined);

export function longTermRoutes(app: OpenAPIHono<AppEnv>, opts: OptimizeOptions): void {
  app.openapi(createMemories, async (c) => {
    const { memories, deduplicate } = c.req.valid('json');
    // As the reference server: clients name their memories, so a retried request overwrites instead of duplicating.
    const missing = memories.findIndex((m) => !m.id);
    if (missing >= 0) throw invalid(`memories[${missing}].id: id is required for all memory records`);
    // The reference's TypeScript client sends its default namespace here: memories naming none go there.
    const { namespace } = c.req.valid('query');
    const { outcomes } = await c.get('api').longTerm.create(memories, {
      deduplicate,
      ...(namespace ? { defaults: { namespace } } : {}),
    });
    const count = (s: string) => outcomes.filter((o) => o.status === s).length;
    return c.json(
      {
        status: 'ok',
        created: count('created'),
        updated: count('updated'),
        duplicates: count('duplicate'),
        memories: outcomes.map((o) => ({ id: o.status === 'duplicate' ? o.existing_id : o.id, outcome: o.status })),
      },
      200,
    );
  });

  app.openapi(searchMemories, async (c) => {
    const api = c.get('api');
    let request = c.req.valid('json');
    if (c.req.valid('query').optimize_query && request.text?.trim()) {
      request = { ...request, text: await optimizedText(api, request.text, opts.optimizeBudgetMs) };
    }
    return c.json(await api.longTerm.search(request), 200);
  });

  app.openapi(compactMemories, async (c) => {
    const { namespace, user_id } = c.req.valid('query');
    const api = c.get('api');
    const report = await api.compact({ namespace, user_id });
    const scope = {
      ...(namespace ? { namespace: { eq: namespace } } : {}),
      ...(user_id ? { user_id: { eq: user_id } } : {}),
    };
    const { total } = await api.longTerm.list(scope, 1, 0);
    return c.json({ status: `ok, ${total} memories remaining after compaction`, ...report }, 200);
  });

  app.openapi(forgetMemories, async (c) => {
    return c.json(await c.get('api').forget(c.req.valid('json'), c.req.valid('query')), 200);
  });

  app.openapi(listMemories, async (c) => {
    const q = c.req.valid('query');
    const eq = (v?: string) => (v === undefined ? undefined : { eq: v });
    const page = await c.get('api').longTerm.list(
      {
        namespace: eq(q.namespace),
        user_id: eq(q.user_id),
        session_id: eq(q.session_id),
        memory_type: eq(q.memory_type),
        topics: tagFilter(q.topics),
        entities: tagFilter(q.entities),
        pinned: q.pinned,
      },
      q.limit,
      q.offset,
    );
    return c.json(page, 200);
  });

  app.openapi(getMemory, async (c) => {
    const id = c.req.valid('param').memory_id;
    const record = await c.get('api').longTerm.get(id);
    const { namespace } = c.req.valid('query');
    if (namespace !== undefined && record.namespace !== namespace) {
      throw notFoundError(`No long-term memory with id "${id}" in namespace "${namespace}".`);
    }
    return c.json(record, 200);
  });

  app.openapi(editMemory, async (c) => {
    const body = c.req.valid('json');
    const id = c.req.valid('param').memory_id;
    if (Object.keys(body).length === 0) throw invalid('No fields provided for update');
    // The whole record after a GET, as the reference's clients send it: unchanged fixed fields pass.
    const { patch, readOnly } = patchFromCopy(body, await c.get('api').longTerm.get(id));
    if (Object.keys(patch).length === 0) throw invalid('No editable fields provided for update');
    const edited = await c.get('api').longTerm.edit(id, patch);
    if (readOnly.length) c.header('Agent-Memory-Read-Only-Fields', readOnly.join(', '));
    return c.json(edited, 200);
  });

  app.openapi(deleteMemories, async (c) => {
    const { memory_ids, namespace } = c.req.valid('query');
    const api = c.get('api');
    let ids = memory_ids;
    if (namespace !== undefined && ids.length) {
      const inNamespace = await Promise.all(
        ids.map((id) =>
          api.longTerm.get(id).then(
            (r) => r.namespace === namespace,
            () => false,
          ),
        ),
      );
      ids = ids.filter((_, i) => inNamespace[i]);
    }
    const deleted = ids.length ? await api.longTerm.delete(ids) : 0;
    return c.json({ status: `ok, deleted ${deleted} memories` }, 200);
  });
}
