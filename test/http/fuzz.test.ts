import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Identifier } from '../../src/models/common.js';
import { MemoryRecordInput, MemoryRecordPatch } from '../../src/models/memory-record.js';
import { MemoryMessageInput } from '../../src/models/message.js';
import { MemoryPromptRequest } from '../../src/models/prompt.js';
import { SearchRequest } from '../../src/models/search.js';
import { CreateSummaryViewRequest } from '../../src/models/summary-view.js';
import { WorkingMemoryInput } from '../../src/models/working-memory.js';
import { TOOLS } from '../../tools/index.js';
import { cleanup, connectMcp as connectStdio, type McpConnection, makeTempStore } from '../helpers/spawn.js';
import { call, memory, startServer, type TestServer } from './helpers.js';
import { connectMcp, toolText } from './mcp-client.js';
import { arbitraryFor, type Hints } from './schema-arbitrary.js';

/**
 * Property: whatever a client sends, the server answers 2xx or a 4xx whose `{detail}` says what is wrong (REST),
 * or a result / isError with a message (MCP); never a 5xx, a hang or a crash. Run with a token confined to
 * namespace A, so the confinement layer sees the same garbage the core does.
 */

/**
 * Runs per property: 100 in `npm test`; `npm run fuzz` (the long bounded run) sets FUZZ_RUNS=11200 and
 * FUZZ_MCP_RUNS=1340: about 100,000 REST requests and 20,000 MCP calls over each of HTTP and stdio.
 */
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);
/** Runs per MCP tool (each transport); FUZZ_RUNS when not given. */
const MCP_RUNS = Number(process.env.FUZZ_MCP_RUNS ?? RUNS);
/** Long runs get time in proportion; the default run keeps vitest's timeout. */
const TIMEOUT = Math.max(RUNS, MCP_RUNS) > 100 ? Math.max(RUNS, MCP_RUNS) * 100 : undefined;
const counted = { rest: 0, mcpHttp: 0, mcpStdio: 0 };
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const hints: Hints = {
  namespace: fc.constantFrom('A', 'B', ' A ', ''),
  user_id: fc.constantFrom('alice', 'bob'),
  session_id: fc.constantFrom('s-1', 's-2'),
  id: fc.constantFrom('fz-1', 'fz-b', 'missing'),
  memory_id: fc.constantFrom('fz-1', 'fz-b', 'missing'),
  memory_ids: fc.constantFrom(['fz-b'], ['missing'], ['fz-1', 'fz-b']),
  text: fc.constantFrom('Alice likes tea', 'where is Bob?', ''),
  query: fc.constantFrom('Alice likes tea', 'where is Bob?'),
};

let server: TestServer;
let token: string;
let otherToken: string;

beforeAll(async () => {
  server = await startServer({ AUTH_MODE: 'token', RATE_LIMIT_PER_MINUTE: '0' });
  token = server.tokens!.add({ namespace: 'A', access: 'write' }).token;
  const other = server.tokens!.add({ namespace: 'B', access: 'write' }).token;
  otherToken = other;
  await call(server.url, 'POST', '/v1/long-term-memory', {
    token,
    body: { memories: [memory('fz-1', 'Alice likes tea')] },
  });
  await call(server.url, 'POST', '/v1/long-term-memory', {
    token: other,
    body: { memories: [memory('fz-b', 'Bob hides here')] },
  });
});
afterAll(() => server.stop());

async function expectClientError(method: string, path: string, body: unknown) {
  counted.rest++;
  const res = await call(server.url, method, path, { token, body });
  if (
    res.status >= 500 ||
    (res.status >= 400 && !(typeof res.body?.detail === 'string' && res.body.detail.length > 0))
  ) {
    throw new Error(`${method} ${path} ${JSON.stringify(body)} → ${res.status} ${JSON.stringify(res.body)}`);
  }
}

const segment = fc
  .oneof(fc.constantFrom('s-1', 'fz-1', 'fz-b'), fc.string({ minLength: 1, maxLength: 30 }))
  .map(encodeURIComponent);

const REST_BODIES: [string, string, fc.Arbitrary<unknown>][] = [
  ['PUT', '/v1/working-memory/{id}', arbitraryFor(WorkingMemoryInput, hints)],
  [
    'POST',
    '/v1/working-memory/{id}/messages',
    arbitraryFor(
      z.object({
        messages: z.array(MemoryMessageInput),
        namespace: Identifier.nullish(),
        ttl_seconds: z.number().int().nullish(),
      }),
      hints,
    ),
  ],
  [
    'POST',
    '/v1/long-term-memory',
    arbitraryFor(z.object({ memories: z.array(MemoryRecordInput), deduplicate: z.boolean().optional() }), hints),
  ],
  ['POST', '/v1/long-term-memory/search', arbitraryFor(SearchRequest, hints)],
  ['PATCH', '/v1/long-term-memory/{id}', arbitraryFor(MemoryRecordPatch, hints)],
  [
    'POST',
    '/v1/summary-views',
    fc.oneof(
      // This server has no LLM: a continuous view is a 503 by design (test/http/summary-views.test.ts).
      arbitraryFor(CreateSummaryViewRequest, hints).map((b) => (isObject(b) ? { ...b, continuous: false } : b)),
      fc.anything(),
    ),
  ],
  [
    'POST',
    '/memory/{id}/{id}/append',
    fc.oneof(fc.record({ role: fc.constantFrom('user', 'assistant', 'robot'), content: fc.string() }), fc.anything()),
  ],
  [
    'POST',
    '/v1/memory/prompt',
    fc.oneof(
      arbitraryFor(MemoryPromptRequest, hints),
      fc.record({ query: fc.string(), long_term_search: fc.boolean() }),
    ),
  ],
];

describe('fuzzing REST bodies (generated from the zod models)', () => {
  for (const [method, template, body] of REST_BODIES) {
    it(
      `${method} ${template}`,
      async () => {
        await fc.assert(
          fc.asyncProperty(segment, body, (id, b) => expectClientError(method, template.replaceAll('{id}', id), b)),
          { numRuns: RUNS },
        );
      },
      TIMEOUT,
    );
  }

  it(
    'query strings and path segments',
    async () => {
      const value = fc.oneof(
        fc.string({ maxLength: 12 }),
        fc.integer({ min: -5, max: 500 }).map(String),
        fc.constantFrom('true', 'A', 'B'),
      );
      const params = fc.dictionary(
        fc.constantFrom(
          'limit',
          'offset',
          'namespace',
          'user_id',
          'model_name',
          'context_window_max',
          'recent_messages_limit',
          'memory_ids',
          'topics',
          'pinned',
          'memory_type',
          'action',
          'resource',
          'since',
          'cursor',
          'last_n',
        ),
        value,
        { maxKeys: 4 },
      );
      const routes = fc.constantFrom(
        ['GET', '/v1/working-memory'],
        ['GET', '/v1/working-memory/{id}'],
        ['DELETE', '/v1/working-memory/{id}'],
        ['GET', '/v1/long-term-memory'],
        ['GET', '/v1/long-term-memory/{id}'],
        ['DELETE', '/v1/long-term-memory'],
        ['GET', '/v1/stats'],
        ['GET', '/v1/activity'],
        ['GET', '/v1/long-term-memory/{id}/history'],
        ['DELETE', '/v1/users/{id}'],
        ['GET', '/memory/{id}/{id}/window'],
        ['GET', '/stream/{id}/filter'],
      );
      await fc.assert(
        fc.asyncProperty(routes, segment, params, ([method, template], id, q) =>
          expectClientError(method!, `${template!.replaceAll('{id}', id)}?${new URLSearchParams(q)}`, undefined),
        ),
        { numRuns: RUNS * 2 },
      );
    },
    TIMEOUT,
  );
});

/** Every tool, with arguments generated from its input schema, through `client()`. */
function fuzzTools(client: () => Client, count: 'mcpHttp' | 'mcpStdio') {
  for (const tool of TOOLS) {
    it(
      tool.name,
      async () => {
        await fc.assert(
          fc.asyncProperty(arbitraryFor(z.object(tool.input), hints).filter(isObject), async (args) => {
            counted[count]++;
            try {
              const res = await client().callTool({ name: tool.name, arguments: args as Record<string, unknown> });
              if (res.isError) {
                const text = toolText(res as never);
                expect(text.length).toBeGreaterThan(0);
                // Output validation failures would be server bugs, not bad input.
                expect(text).not.toMatch(/Output validation error|failed: /);
              }
            } catch (err) {
              // Our tools answer bad arguments with isError; only the SDK's own validation may throw, as InvalidParams.
              expect(err).toBeInstanceOf(McpError);
              expect((err as McpError).code).toBe(-32602);
            }
          }),
          { numRuns: MCP_RUNS },
        );
      },
      TIMEOUT,
    );
  }
}

describe('fuzzing MCP tool arguments over stdio (generated from the tool input schemas)', () => {
  const store = makeTempStore();
  let stdio: McpConnection;
  beforeAll(async () => {
    stdio = await connectStdio(store.env());
    await stdio.ok('create_long_term_memories', {
      // Pinned: the unconfined stdio caller may legitimately forget store-wide, which never takes a pinned memory.
      memories: [{ id: 'seed-stdio', text: 'The seed stays as it was', namespace: 'Z', pinned: true }],
    });
  });
  afterAll(async () => {
    await stdio.close();
    cleanup();
  });
  fuzzTools(() => stdio.client, 'mcpStdio');

  it('left the stdio server running, with its seed intact', async () => {
    const seed = await stdio.ok<{ text: string; namespace: string }>('get_long_term_memory', {
      memory_id: 'seed-stdio',
    });
    expect(seed).toMatchObject({ text: 'The seed stays as it was', namespace: 'Z' });
    expect(stdio.stderr()).not.toMatch(/uncaught|unhandled|RangeError/i);
  });
});

describe('fuzzing MCP tool arguments over HTTP (generated from the tool input schemas)', () => {
  let client: Client;
  beforeAll(async () => {
    client = await connectMcp(`${server.url}/mcp`, 'http', token);
  });
  afterAll(() => client.close());
  fuzzTools(() => client, 'mcpHttp');

  it('non-object arguments are refused by the protocol layer with a message', async () => {
    for (const args of [[], 'text', 0, false]) {
      const err = await client.callTool({ name: 'search_memory', arguments: args as never }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(McpError);
      expect((err as McpError).message.length).toBeGreaterThan(0);
    }
  });

  it('left the server healthy, and namespace B as it was', async () => {
    expect((await call(server.url, 'GET', '/v1/health')).status).toBe(200);
    const b = await call(server.url, 'GET', '/v1/long-term-memory/fz-b', { token });
    // A tool taking a top-level id (store_agent_*) may have stored A's own "fz-b": never B's memory.
    if (b.status === 200) expect(b.body).toMatchObject({ namespace: 'A' });
    else expect(b.status).toBe(404);
    expect(JSON.stringify(b.body)).not.toContain('Bob hides here');
    const own = await call(server.url, 'GET', '/v1/long-term-memory/fz-b', { token: otherToken });
    expect(own.body).toMatchObject({ text: 'Bob hides here', namespace: 'B' });
    process.stderr.write(
      `fuzz: ${counted.rest} REST requests, ${counted.mcpHttp} MCP calls over HTTP, ${counted.mcpStdio} over stdio\n`,
    );
  });
});
