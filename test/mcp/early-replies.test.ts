/**
 * The replies `agent-memory mcp` sends before its server is loaded (src/mcp/stdio-main.ts): only to messages the
 * SDK takes as they are, byte for byte what the server would have sent, and from the bundle (built by the global
 * setup) the same as the source computes now, so they cannot go stale. Then the server takes over every line.
 */
import { PassThrough } from 'node:stream';
import {
  InitializeRequestSchema,
  JSONRPCMessageSchema,
  LATEST_PROTOCOL_VERSION,
  ListToolsRequestSchema,
} from '@modelcontextprotocol/sdk/types.js';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Engine, openEngine } from '../../src/core/engine.js';
import { createMcpServer, type EarlyReplies, earlyRepliesJson, toolsListJson } from '../../src/mcp/server.js';
import { earlyReply } from '../../src/mcp/stdio-main.js';
import { LineStdioTransport } from '../../src/mcp/stdio-transport.js';
import { CLI, cleanup, makeTempStore, spawnTracked, waitForExit } from '../helpers/spawn.js';

let engine: Engine;
let replies: EarlyReplies;

beforeAll(async () => {
  engine = await openEngine(loadConfig({ MEMORY_BACKEND: 'memory', LOG_LEVEL: 'silent' }), { autoStartWorker: false });
  replies = JSON.parse(await earlyRepliesJson());
});
afterAll(async () => {
  await engine.close();
  await cleanup();
});

/** Resolves once `done()` holds, checked after each chunk `stream` emits: on the output itself, not a timer. */
function whenOutput(stream: NodeJS.ReadableStream, done: () => boolean): Promise<void> {
  return new Promise((resolve) => {
    if (done()) return resolve();
    const check = () => {
      if (!done()) return;
      stream.off('data', check);
      resolve();
    };
    stream.on('data', check);
  });
}

/** The lines a server of createMcpServer writes for `lines`, through the stdio transport, once it has answered all. */
async function serverLines(lines: string[], replies: number): Promise<string[]> {
  const input = new PassThrough();
  const output = new PassThrough();
  let out = '';
  output.on('data', (c: Buffer) => {
    out += c.toString('utf8');
  });
  const server = createMcpServer(engine);
  await server.connect(new LineStdioTransport(input, output));
  const answered = whenOutput(output, () => out.split('\n').length > replies);
  input.write(lines.map((l) => `${l}\n`).join(''));
  await answered;
  await server.close();
  return out
    .split('\n')
    .slice(0, replies)
    .map((l) => `${l}\n`);
}

// Values as JSON has them (undefined: the key is left out); mostly what the SDK takes, sometimes anything else.
const absent = fc.constant(undefined);
const rare = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 4, arbitrary: absent }, { weight: 1, arbitrary: arb });
const usual = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 1, arbitrary: absent }, { weight: 30, arbitrary: arb });
const junk = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.constant({}), fc.constant([]), fc.constant(null));
const mostly = <T>(arb: fc.Arbitrary<T>) => fc.oneof({ weight: 30, arbitrary: arb }, { weight: 1, arbitrary: junk });
const obj = (shape: Record<string, fc.Arbitrary<unknown>>) => mostly(fc.record(shape));
const ref = mostly(fc.constant({}));
const capabilities = obj({
  experimental: rare(mostly(fc.dictionary(fc.string(), ref, { maxKeys: 2 }))),
  sampling: rare(obj({ context: rare(ref), tools: rare(ref) })),
  elicitation: rare(obj({ form: rare(obj({ applyDefaults: rare(mostly(fc.boolean())) })), url: rare(ref) })),
  roots: rare(obj({ listChanged: rare(mostly(fc.boolean())) })),
  tasks: rare(
    obj({
      list: rare(ref),
      cancel: rare(ref),
      requests: rare(
        obj({ sampling: rare(obj({ createMessage: rare(ref) })), elicitation: rare(obj({ create: rare(ref) })) }),
      ),
    }),
  ),
  extensions: rare(mostly(fc.dictionary(fc.string(), ref, { maxKeys: 2 }))),
  other: rare(junk),
});
const text = mostly(fc.string());
const clientInfo = obj({
  name: usual(text),
  version: usual(text),
  title: rare(text),
  websiteUrl: rare(text),
  description: rare(text),
  icons: rare(junk),
  other: rare(junk),
});
const id = fc.oneof(
  { weight: 4, arbitrary: fc.string() },
  { weight: 4, arbitrary: fc.integer() },
  { weight: 1, arbitrary: fc.oneof(fc.double(), fc.constant(2 ** 60), junk) },
);
const request = (method: string, params: fc.Arbitrary<unknown>) =>
  fc
    .record({
      jsonrpc: usual(mostly(fc.constant('2.0'))),
      id: usual(id),
      method: usual(fc.oneof({ weight: 8, arbitrary: fc.constant(method) }, { weight: 1, arbitrary: fc.string() })),
      params,
      other: rare(junk),
    })
    .map((m) => JSON.parse(JSON.stringify(m)) as unknown);
const initialize = request(
  'initialize',
  usual(
    obj({
      protocolVersion: usual(
        mostly(fc.constantFrom('2025-06-18', '2024-11-05', LATEST_PROTOCOL_VERSION, '1999-01-01', '')),
      ),
      capabilities: usual(capabilities),
      clientInfo: usual(clientInfo),
      _meta: rare(junk),
      other: rare(junk),
    }),
  ),
);
const toolsList = request('tools/list', rare(obj({ cursor: rare(text), _meta: rare(junk), other: rare(junk) })));
const INIT = JSON.stringify({
  jsonrpc: '2.0',
  id: 0,
  method: 'initialize',
  params: { protocolVersion: LATEST_PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'test', version: '0' } },
});

describe('early replies', () => {
  it('answer only an initialize the SDK takes, with what the server would write', async () => {
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(initialize, async (m) => {
        const line = JSON.stringify(m);
        const early = earlyReply(line, 'initialize', replies);
        expect(early).not.toBe('pass');
        if (early === undefined || early === 'pass') return;
        answered++;
        expect(JSONRPCMessageSchema.safeParse(m).success).toBe(true);
        expect(InitializeRequestSchema.safeParse(m).success).toBe(true);
        expect(early.id).toBe((m as { id: unknown }).id);
        expect(await serverLines([line], 1)).toEqual([early.reply]);
      }),
      { numRuns: 400 },
    );
    expect(answered).toBeGreaterThan(40);
  });

  it('answer only a tools/list the SDK takes, with what the server would write', async () => {
    let answered = 0;
    await fc.assert(
      fc.asyncProperty(toolsList, async (m) => {
        const line = JSON.stringify(m);
        const early = earlyReply(line, 'tools/list', replies);
        if (early === undefined || early === 'pass') return;
        answered++;
        expect(JSONRPCMessageSchema.safeParse(m).success).toBe(true);
        expect(ListToolsRequestSchema.safeParse(m).success).toBe(true);
        expect((await serverLines([INIT, line], 2))[1]).toBe(early.reply);
      }),
      { numRuns: 200 },
    );
    expect(answered).toBeGreaterThan(20);
  });

  it("answer what clients send: the SDK client's initialize, roots, sampling, elicitation, tasks", () => {
    const init = (capabilities: object, clientInfo: object = { name: 'c', version: '1' }) =>
      JSON.stringify({
        jsonrpc: '2.0',
        id: 0,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities, clientInfo },
      });
    for (const line of [
      init({}),
      init({ roots: { listChanged: true }, sampling: {} }),
      init({ roots: { listChanged: true }, sampling: {}, elicitation: {} }),
      init({ elicitation: { form: {}, url: {} }, sampling: { tools: {} }, experimental: { x: {} } }),
      init({ tasks: { list: {}, cancel: {}, requests: { sampling: { createMessage: {} } } } }),
      init({}, { name: 'claude-ai', title: 'Claude', version: '0.1.0' }),
    ]) {
      expect(earlyReply(line, 'initialize', replies), line).toMatchObject({ id: 0 });
    }
    const initialized = JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' });
    expect(earlyReply(initialized, 'tools/list', replies)).toBe('pass');
    expect(earlyReply('', 'tools/list', replies)).toBe('pass');
    for (const params of [undefined, {}, { cursor: 'x' }]) {
      const line = JSON.stringify({ jsonrpc: '2.0', id: 'l', method: 'tools/list', params });
      expect(earlyReply(line, 'tools/list', replies)).toMatchObject({ id: 'l' });
    }
    // Anything else waits for the server.
    expect(earlyReply('{not json', 'initialize', replies)).toBeUndefined();
    expect(
      earlyReply(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'ping' }), 'tools/list', replies),
    ).toBeUndefined();
  });

  it('the bundle answers as the source does now: the initialize and tools/list of toolsListJson', async () => {
    const store = makeTempStore();
    const child = spawnTracked(process.execPath, [CLI, 'mcp'], store.env());
    let out = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    const [init] = await serverLines([INIT], 1);
    child.stdin?.write(`${INIT}\n${JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' })}\n`);
    await whenOutput(child.stdout!, () => out.split('\n').length >= 3);
    const lines = out.split('\n');
    expect(`${lines[0]}\n`).toBe(init);
    expect(lines[1]).toBe(`{"result":${await toolsListJson()},"jsonrpc":"2.0","id":1}`);
    child.stdin?.end();
    await waitForExit(child.pid as number, 20_000);
  });

  it('the server takes over: a call sent with them is answered, the initialize once, the client known', async () => {
    const store = makeTempStore();
    const child = spawnTracked(process.execPath, [CLI, 'mcp'], store.env());
    let out = '';
    let stderr = '';
    child.stdout?.on('data', (c: Buffer) => {
      out += c.toString('utf8');
    });
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const send = (m: object) => JSON.stringify({ jsonrpc: '2.0', ...m });
    const byId = () =>
      new Map(
        out
          .split('\n')
          // Complete lines only: a chunk may end inside one.
          .slice(0, -1)
          .filter(Boolean)
          .map((l) => JSON.parse(l) as { id: number; result?: { contents?: { text: string }[] } })
          .map((m) => [m.id, m]),
      );
    const until = (id: number) => whenOutput(child.stdout!, () => byId().has(id));
    // One write, as a client that does not wait for the replies sends them.
    child.stdin?.write(
      [
        send({ id: 1, method: 'initialize', params: JSON.parse(INIT).params }),
        send({ method: 'notifications/initialized' }),
        send({ id: 2, method: 'tools/list' }),
        send({
          id: 3,
          method: 'tools/call',
          params: {
            name: 'set_working_memory',
            arguments: { session_id: 's1', messages: [{ role: 'user', content: 'Hello' }] },
          },
        }),
        '',
      ].join('\n'),
    );
    await until(3);
    child.stdin?.write(`${send({ id: 4, method: 'resources/read', params: { uri: 'memory://activity' } })}\n`);
    await until(4);
    const ids = out
      .split('\n')
      .filter(Boolean)
      .map((l) => (JSON.parse(l) as { id?: unknown }).id);
    expect(ids.filter((i) => i === 1)).toHaveLength(1);
    const replies = byId();
    expect(replies.get(3)?.result).toBeDefined();
    const activity = JSON.parse(replies.get(4)?.result?.contents?.[0]?.text ?? '{}');
    expect(JSON.stringify(activity)).toContain('mcp:test');
    expect(stderr).not.toMatch(/differs/);
    child.stdin?.end();
    await waitForExit(child.pid as number, 20_000);
  });
});
