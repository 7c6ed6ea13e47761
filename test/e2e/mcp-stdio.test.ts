import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  CLI,
  cleanup,
  connectMcp,
  isAlive,
  type McpConnection,
  makeTempStore,
  spawnTracked,
  textOf,
  waitForExit,
} from '../helpers/spawn.js';

const TOOL_NAMES = [
  'agent_memory_stats',
  'agent_state_changes',
  'append_messages',
  'compact_long_term_memories',
  'create_long_term_memories',
  'delete_long_term_memories',
  'edit_long_term_memory',
  'forget_long_term_memories',
  'fork_working_memory',
  'get_agent_memory',
  'get_current_datetime',
  'get_long_term_memory',
  'get_memory_history',
  'get_working_memory',
  'maintain_agent_memory',
  'memory_prompt',
  'memory_stats',
  'search_agent_memories',
  'search_long_term_memory',
  'search_memory',
  'set_working_memory',
  'store_agent_action',
  'store_agent_interaction',
  'store_agent_state',
];

const ALICE = "Alice's favourite food is sushi";
const REPORT = 'The quarterly report is due on 14 March 2026';
const BOB = 'Bob drives a red bicycle to work';

interface Created {
  status: string;
  created: number;
  updated: number;
  duplicates: number;
  memories: { id: string; outcome: string; text: string }[];
}
interface Memory {
  id: string;
  text: string;
  namespace: string | null;
  topics: string[];
  score: number;
}
interface Results {
  memories: Memory[];
  total: number;
  next_offset: number | null;
}
interface Message {
  id: string;
  role: string;
  content: string;
}
interface WorkingMemory {
  session_id: string;
  messages: Message[];
  context: string | null;
  version: number;
  total_messages: number;
}

const store = makeTempStore();
let main: McpConnection;

beforeAll(async () => {
  main = await connectMcp(store.env());
});
afterEach(() => {
  // A stdout line that is not JSON-RPC, or any transport failure, shows up here.
  expect(main.errors.splice(0)).toEqual([]);
});
afterAll(cleanup);

describe('MCP over stdio', () => {
  it('lists exactly the 24 tools, each with input and output schemas and annotations', async () => {
    const { tools } = await main.client.listTools();
    expect(tools.map((t) => t.name).sort()).toEqual(TOOL_NAMES);
    for (const tool of tools) {
      expect(tool.description, tool.name).toBeTruthy();
      expect(tool.inputSchema.type, tool.name).toBe('object');
      expect(tool.outputSchema?.type, tool.name).toBe('object');
      expect(Object.keys(tool.outputSchema?.properties ?? {}).length, tool.name).toBeGreaterThan(0);
      expect(tool.annotations, tool.name).toBeDefined();
    }
    const byName = new Map(tools.map((t) => [t.name, t]));
    for (const name of [
      'search_memory',
      'get_working_memory',
      'get_long_term_memory',
      'get_current_datetime',
      'memory_prompt',
      'get_memory_history',
      'memory_stats',
    ]) {
      expect(byName.get(name)?.annotations?.readOnlyHint, name).toBe(true);
    }
    for (const name of ['create_long_term_memories', 'append_messages', 'delete_long_term_memories']) {
      expect(byName.get(name)?.annotations?.readOnlyHint, name).toBe(false);
    }
    expect(byName.get('delete_long_term_memories')?.annotations?.destructiveHint).toBe(true);
    expect(byName.get('create_long_term_memories')?.annotations?.destructiveHint).toBe(false);
    expect(byName.get('create_long_term_memories')?.inputSchema.required).toContain('memories');
  });

  let aliceId = '';

  it('stores three unrelated memories and finds the one a question is about first', async () => {
    const created = await main.ok<Created>('create_long_term_memories', {
      memories: [{ text: ALICE, topics: ['food'] }, { text: REPORT }, { text: BOB }],
    });
    expect(created.created).toBe(3);
    expect(created.memories.map((m) => m.text)).toEqual([ALICE, REPORT, BOB]);
    expect(created.memories.every((m) => m.outcome === 'created')).toBe(true);
    aliceId = created.memories[0]!.id;

    const result = await main.call('search_memory', { query: 'What does Alice like to eat?' });
    expect(result.isError).toBeFalsy();
    const found = result.structuredContent as unknown as Results;
    expect(Object.keys(found).sort()).toEqual(['memories', 'next_offset', 'total']);
    expect(found.memories[0]?.text).toBe(ALICE);
    expect(found.memories[0]?.id).toBe(aliceId);
    expect(found.memories[0]?.topics).toEqual(['food']);
    expect(found.total).toBeGreaterThanOrEqual(1);
    expect(found.next_offset === null || typeof found.next_offset === 'number').toBe(true);
    // The text content carries the same result, for clients that ignore structuredContent.
    expect(JSON.parse(textOf(result))).toEqual(found);

    const bob = await main.ok<Results>('search_memory', { query: 'Who rides a bicycle?' });
    expect(bob.memories[0]?.text).toBe(BOB);
    const report = await main.ok<Results>('search_memory', { query: 'When is the quarterly report due?' });
    expect(report.memories[0]?.text).toBe(REPORT);
  });

  it('re-sending an equal memory is reported as a duplicate, not stored twice', async () => {
    const again = await main.ok<Created>('create_long_term_memories', { memories: [{ text: ALICE }] });
    expect(again.duplicates).toBe(1);
    expect(again.created).toBe(0);
    expect(again.memories[0]?.id).toBe(aliceId);
    const list = await main.ok<Results>('search_memory', { query: '', limit: 100 });
    expect(list.memories.filter((m) => m.text === ALICE)).toHaveLength(1);
  });

  it('memory_prompt puts the relevant memory with its id in a system message and the query last', async () => {
    const query = 'What does Alice like to eat?';
    const out = await main.ok<{
      messages: { role: string; content: { type: string; text: string } }[];
      long_term_memory_ids: string[];
    }>('memory_prompt', { query });
    const system = out.messages.filter((m) => m.role === 'system').map((m) => m.content.text);
    expect(system.some((t) => t.includes(ALICE) && t.includes(`(ID: ${aliceId})`))).toBe(true);
    expect(out.long_term_memory_ids[0]).toBe(aliceId);
    const last = out.messages.at(-1);
    expect(last?.role).toBe('user');
    expect(last?.content).toEqual({ type: 'text', text: query });
  });

  it('working memory: set, get, append (idempotent by id), recent_messages_limit, version check', async () => {
    const session_id = 'session-wm-1';
    const set = await main.ok<WorkingMemory>('set_working_memory', {
      session_id,
      context: 'Alice and the assistant are planning dinner.',
      messages: [
        { id: 'm1', role: 'user', content: 'Hi, I am Alice.' },
        { id: 'm2', role: 'assistant', content: 'Hello Alice, how can I help?' },
      ],
    });
    expect(set.session_id).toBe(session_id);
    expect(set.messages.map((m) => m.id)).toEqual(['m1', 'm2']);

    const got = await main.ok<WorkingMemory>('get_working_memory', { session_id });
    expect(got.messages.map((m) => [m.id, m.role, m.content])).toEqual([
      ['m1', 'user', 'Hi, I am Alice.'],
      ['m2', 'assistant', 'Hello Alice, how can I help?'],
    ]);
    expect(got.context).toBe('Alice and the assistant are planning dinner.');
    expect(got.total_messages).toBe(2);
    expect(Number.isInteger(got.version)).toBe(true);
    const versionAfterSet = got.version;

    const appended = await main.ok<{ appended: number; total_messages: number; version: number }>('append_messages', {
      session_id,
      messages: [
        { id: 'm3', role: 'user', content: 'Find me a sushi place.' },
        { id: 'm4', role: 'assistant', content: 'There is one on Main Street.' },
        { id: 'm5', role: 'user', content: 'Book it for 7 pm.' },
      ],
    });
    expect(appended.appended).toBe(3);
    expect(appended.total_messages).toBe(5);
    expect(appended.version).toBeGreaterThan(versionAfterSet);

    // Re-sending a message id does not duplicate it.
    const again = await main.ok<{ appended: number; total_messages: number }>('append_messages', {
      session_id,
      messages: [{ id: 'm5', role: 'user', content: 'Book it for 7 pm.' }],
    });
    expect(again.appended).toBe(0);
    expect(again.total_messages).toBe(5);

    const recent = await main.ok<WorkingMemory>('get_working_memory', { session_id, recent_messages_limit: 2 });
    expect(recent.messages.map((m) => m.id)).toEqual(['m4', 'm5']);
    expect(recent.total_messages).toBe(5);

    const all = await main.ok<WorkingMemory>('get_working_memory', { session_id });
    expect(all.messages.map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);

    // A write based on the version read before the append must be refused, not silently drop m3..m5.
    const stale = await main.call('set_working_memory', {
      session_id,
      version: versionAfterSet,
      messages: [{ id: 'x', role: 'user', content: 'stale overwrite' }],
    });
    expect(stale.isError).toBe(true);
    const still = await main.ok<WorkingMemory>('get_working_memory', { session_id });
    expect(still.messages.map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);

    const missing = await main.call('get_working_memory', { session_id: 'no-such-session' });
    expect(missing.isError).toBe(true);
    expect(textOf(missing)).toContain('no-such-session');
  });

  it('get, edit and delete a long-term memory by id', async () => {
    const created = await main.ok<Created>('create_long_term_memories', {
      memories: [{ text: 'Carol keeps a pet iguana named Rex', entities: ['Carol'] }],
    });
    const id = created.memories[0]!.id;

    const got = await main.ok<Memory>('get_long_term_memory', { memory_id: id });
    expect(got.id).toBe(id);
    expect(got.text).toBe('Carol keeps a pet iguana named Rex');

    const edited = await main.ok<Memory>('edit_long_term_memory', {
      memory_id: id,
      text: 'Carol keeps a pet tortoise named Shelly',
    });
    expect(edited.id).toBe(id);
    expect(edited.text).toBe('Carol keeps a pet tortoise named Shelly');
    expect((await main.ok<Memory>('get_long_term_memory', { memory_id: id })).text).toBe(
      'Carol keeps a pet tortoise named Shelly',
    );

    const newText = await main.ok<Results>('search_memory', { query: 'What pet does Carol have? A tortoise?' });
    expect(newText.memories[0]?.id).toBe(id);
    expect(newText.memories[0]?.text).toBe('Carol keeps a pet tortoise named Shelly');
    const oldText = await main.ok<Results>('search_memory', { query: 'iguana Rex' });
    expect(oldText.memories.some((m) => m.text.includes('iguana'))).toBe(false);
    const oldKeyword = await main.ok<Results>('search_memory', { query: 'iguana Rex', search_mode: 'keyword' });
    expect(oldKeyword.memories.map((m) => m.id)).not.toContain(id);

    const deleted = await main.ok<{ deleted: number }>('delete_long_term_memories', { memory_ids: [id] });
    expect(deleted.deleted).toBe(1);
    const gone = await main.call('get_long_term_memory', { memory_id: id });
    expect(gone.isError).toBe(true);
    expect(textOf(gone)).toContain(id);
    const after = await main.ok<Results>('search_memory', { query: 'What pet does Carol have? A tortoise?' });
    expect(after.memories.map((m) => m.id)).not.toContain(id);
    expect((await main.ok<{ deleted: number }>('delete_long_term_memories', { memory_ids: [id] })).deleted).toBe(0);
  });

  it('get_current_datetime returns now in UTC', async () => {
    const before = Date.now();
    const out = await main.ok<{ iso_utc: string; unix_ts: number }>('get_current_datetime');
    const after = Date.now();
    expect(out.iso_utc).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    const ms = Date.parse(out.iso_utc);
    expect(ms).toBeGreaterThanOrEqual(before - 1000);
    expect(ms).toBeLessThanOrEqual(after + 1000);
    expect(Math.abs(out.unix_ts - Math.floor(ms / 1000))).toBeLessThanOrEqual(1);
  });

  it('sends progress notifications for create_long_term_memories when asked', async () => {
    // Also watch the wire: the SDK client drops a progress notification that arrives in the same stdout chunk as
    // the response (typescript-sdk issue #2580), so the callback alone may miss the final one.
    const onWire: { progressToken: unknown; progress: number; total?: number }[] = [];
    const inner = main.transport.onmessage;
    main.transport.onmessage = (msg) => {
      if ('method' in msg && msg.method === 'notifications/progress')
        onWire.push(msg.params as (typeof onWire)[number]);
      inner?.(msg);
    };
    try {
      const progress: { progress: number; total?: number }[] = [];
      // Enough memories that storing them takes a moment, so the first notification travels ahead of the response.
      const memories = Array.from({ length: 60 }, (_, i) => ({
        text: `Progress probe ${i}: Erin practised cello piece number ${i} on day ${i % 7}`,
        namespace: 'progress',
      }));
      const result = await main.client.callTool(
        { name: 'create_long_term_memories', arguments: { memories } },
        undefined,
        {
          onprogress: (p) => progress.push(p),
        },
      );
      expect(result.isError).toBeFalsy();
      expect(progress.length).toBeGreaterThanOrEqual(1);
      expect(progress[0]?.total).toBe(60);
      // On the wire: a start and an end notification, both with the request's token.
      expect(onWire.map((p) => [p.progress, p.total])).toEqual([
        [0, 60],
        [60, 60],
      ]);
      expect(new Set(onWire.map((p) => p.progressToken)).size).toBe(1);

      // A call without onprogress gets no notifications.
      onWire.length = 0;
      await main.ok('create_long_term_memories', {
        memories: [{ text: 'Frank moved to Lisbon', namespace: 'progress' }],
      });
      expect(onWire).toEqual([]);
    } finally {
      main.transport.onmessage = inner;
    }
    // Only the SDK race above may have reached onerror.
    const unexpected = main.errors.filter((e) => !/progress notification for an unknown token/.test(e.message));
    expect(unexpected).toEqual([]);
    main.errors.length = 0;
  });

  it('persists across processes: a new server on the same file finds the memory and the session', async () => {
    const oldPid = main.pid;
    await main.close();
    await waitForExit(oldPid);
    main = await connectMcp(store.env());
    expect(main.pid).not.toBe(oldPid);
    const found = await main.ok<Results>('search_memory', { query: 'What does Alice like to eat?' });
    expect(found.memories[0]?.id).toBe(aliceId);
    expect(found.memories[0]?.text).toBe(ALICE);
    const wm = await main.ok<WorkingMemory>('get_working_memory', { session_id: 'session-wm-1' });
    expect(wm.messages.map((m) => m.id)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
  });

  it('DEFAULT_MCP_NAMESPACE scopes writes and searches of a server', async () => {
    const ns1 = await connectMcp(store.env({ DEFAULT_MCP_NAMESPACE: 'ns1' }));
    const ns2 = await connectMcp(store.env({ DEFAULT_MCP_NAMESPACE: 'ns2' }));
    const created = await ns1.ok<Created>('create_long_term_memories', {
      memories: [{ text: 'Dave collects antique maps of Portugal' }],
    });
    const id = created.memories[0]!.id;
    expect((await ns1.ok<Memory>('get_long_term_memory', { memory_id: id })).namespace).toBe('ns1');

    const q = 'What does Dave collect?';
    expect((await ns1.ok<Results>('search_memory', { query: q })).memories[0]?.id).toBe(id);
    const other = await ns2.ok<Results>('search_memory', { query: q });
    expect(other.memories.map((m) => m.id)).not.toContain(id);
    const otherList = await ns2.ok<Results>('search_memory', { query: '', limit: 100 });
    expect(otherList.memories.map((m) => m.id)).not.toContain(id);
    // An explicit namespace still reaches it: the default is a default, not a wall.
    const explicit = await ns2.ok<Results>('search_memory', { query: q, namespace: 'ns1' });
    expect(explicit.memories[0]?.id).toBe(id);
    // And a server without a default namespace stored Alice's memory with no namespace.
    expect((await main.ok<Memory>('get_long_term_memory', { memory_id: aliceId })).namespace).toBeNull();
    expect(ns1.errors).toEqual([]);
    expect(ns2.errors).toEqual([]);
    await ns1.close();
    await ns2.close();
  });

  it('answers a frame that is not JSON with -32700 and one that is not JSON-RPC with -32600, and goes on', async () => {
    const child = spawnTracked(process.execPath, [CLI, 'mcp'], store.env());
    let stdout = '';
    // Only complete lines: a long reply (tools/list) arrives in several chunks.
    const replies = () =>
      stdout
        .split('\n')
        .slice(0, -1)
        .filter((l) => l.length > 0)
        .map((l) => JSON.parse(l) as { id?: unknown; error?: { code: number; message: string }; result?: unknown });
    const gotAll = new Promise<void>((resolve) => {
      child.stdout?.on('data', (c: Buffer) => {
        stdout += c.toString('utf8');
        if (replies().some((m) => m.id === 3)) resolve();
      });
    });
    const send = (line: string) => child.stdin?.write(`${line}\n`);
    send(
      JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'initialize',
        params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
      }),
    );
    send('{"jsonrpc":"2.0","method":"notifications/initialized"}');
    send('this is not json');
    send('{"id": 2, "method": "tools/list"}');
    send('{"jsonrpc":"2.0","id":3,"method":"tools/list"}');
    await gotAll;
    child.stdin?.end();
    await waitForExit(child.pid!, 10_000);
    const all = replies();
    const parse = all.find((m) => m.error?.code === -32700);
    expect(parse).toMatchObject({ id: null });
    expect(parse?.error?.message).toMatch(/Parse error/);
    expect(all.find((m) => m.error?.code === -32600)).toMatchObject({ id: 2 });
    expect(all.find((m) => m.id === 3)?.result).toMatchObject({ tools: expect.any(Array) });
  });

  it('writes nothing but JSON-RPC to stdout, and exits when stdin closes', async () => {
    const child = spawnTracked(process.execPath, [CLI, 'mcp'], store.env({ LOG_LEVEL: 'debug' }));
    let stdout = '';
    let stderr = '';
    child.stderr?.on('data', (c: Buffer) => {
      stderr += c.toString('utf8');
    });
    const gotListReply = new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`no tools/list reply; stdout:\n${stdout}\nstderr:\n${stderr}`)),
        20_000,
      );
      child.stdout?.on('data', (c: Buffer) => {
        stdout += c.toString('utf8');
        if (stdout.split('\n').some((l) => l.includes('"id":2'))) {
          clearTimeout(timer);
          resolve();
        }
      });
    });
    const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
    const send = (msg: object) => child.stdin?.write(`${JSON.stringify(msg)}\n`);
    send({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    });
    send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    send({ jsonrpc: '2.0', id: 2, method: 'tools/list', params: {} });
    await gotListReply;
    child.stdin?.end();
    expect(await exited).toBe(0);

    const lines = stdout.split('\n').filter((l) => l.length > 0);
    expect(lines.length).toBeGreaterThanOrEqual(2);
    const messages = lines.map((l) => JSON.parse(l) as { jsonrpc: string; id?: number; result?: unknown });
    for (const m of messages) expect(m.jsonrpc).toBe('2.0');
    const init = messages.find((m) => m.id === 1)?.result as { serverInfo: { name: string } };
    expect(init.serverInfo.name).toBe('agent-memory');
    const list = messages.find((m) => m.id === 2)?.result as { tools: { name: string }[] };
    expect(list.tools.map((t) => t.name).sort()).toEqual(TOOL_NAMES);
    // Debug logging went to stderr, not stdout.
    expect(stderr).toContain('[agent-memory]');
  });

  it('the main server process is still alive after all of the above', () => {
    expect(isAlive(main.pid)).toBe(true);
  });
});
