/**
 * Drives the real MCP Inspector CLI (`mcp-inspector --cli`) against the built server. Each Inspector invocation
 * starts its own server process, so the later calls also prove that memories persist in the SQLite file.
 */
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { baseEnv, CLI, cleanup, makeTempStore, ROOT, run } from '../helpers/spawn.js';

/** The package's bin (a symlink to @modelcontextprotocol/inspector/cli/build/cli.js), run with this Node. */
const INSPECTOR = join(ROOT, 'node_modules', '.bin', 'mcp-inspector');

const store = makeTempStore();
afterAll(cleanup);

/** Runs `mcp-inspector --cli -e ... node dist/src/cli.js mcp <args>` and parses its JSON stdout. */
async function inspector(args: string[]): Promise<Record<string, unknown>> {
  const settings = { MEMORY_BACKEND: 'sqlite', SQLITE_PATH: store.dbPath, LOG_LEVEL: 'warn', XDG_DATA_HOME: store.dir };
  const env = Object.entries(settings).flatMap(([k, v]) => ['-e', `${k}=${v}`]);
  const res = await run(
    process.execPath,
    [INSPECTOR, '--cli', ...env, process.execPath, CLI, 'mcp', ...args],
    baseEnv(),
    {
      cwd: store.dir,
      timeoutMs: 30_000,
    },
  );
  if (res.code !== 0) throw new Error(`inspector exited ${res.code}\nstdout:\n${res.stdout}\nstderr:\n${res.stderr}`);
  try {
    return JSON.parse(res.stdout) as Record<string, unknown>;
  } catch {
    throw new Error(`inspector stdout is not JSON:\n${res.stdout}\nstderr:\n${res.stderr}`);
  }
}

interface ToolResult {
  isError?: boolean;
  content: { type: string; text: string }[];
  structuredContent?: Record<string, unknown>;
}

const ALICE = "Alice's favourite food is sushi";
const memories = [
  { text: ALICE },
  { text: 'The quarterly report is due on 14 March 2026' },
  { text: 'Bob drives a red bicycle to work' },
];

describe('MCP Inspector CLI', () => {
  it('tools/list lists the 24 tools with their schemas', async () => {
    const out = (await inspector(['--method', 'tools/list'])) as { tools: { name: string; inputSchema: object }[] };
    expect(out.tools.map((t) => t.name).sort()).toEqual([
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
    ]);
    for (const t of out.tools) expect(t.inputSchema).toBeTypeOf('object');
  });

  let aliceId = '';

  it('tools/call create_long_term_memories stores three memories', async () => {
    const out = (await inspector([
      '--method',
      'tools/call',
      '--tool-name',
      'create_long_term_memories',
      '--tool-arg',
      `memories=${JSON.stringify(memories)}`,
    ])) as unknown as ToolResult;
    expect(out.isError).toBeFalsy();
    const created = out.structuredContent as { created: number; memories: { id: string; text: string }[] };
    expect(created.created).toBe(3);
    aliceId = created.memories.find((m) => m.text === ALICE)?.id ?? '';
    expect(aliceId).not.toBe('');
  });

  it('a new Inspector run (a new server on the same file) finds the memory a question is about first', async () => {
    const out = (await inspector([
      '--method',
      'tools/call',
      '--tool-name',
      'search_memory',
      '--tool-arg',
      'query=What does Alice like to eat?',
      '--tool-arg',
      'limit=3',
    ])) as unknown as ToolResult;
    expect(out.isError).toBeFalsy();
    const found = out.structuredContent as { memories: { id: string; text: string }[]; total: number };
    expect(found.memories[0]?.id).toBe(aliceId);
    expect(found.memories[0]?.text).toBe(ALICE);
    expect(found.memories.length).toBeLessThanOrEqual(3);
    // The text content holds the same JSON for clients that only read content.
    expect(JSON.parse(out.content[0]?.text ?? '')).toEqual(found);
  });

  it('memory_prompt through the Inspector includes the memory and its id', async () => {
    const query = 'What does Alice like to eat?';
    const out = (await inspector([
      '--method',
      'tools/call',
      '--tool-name',
      'memory_prompt',
      '--tool-arg',
      `query=${query}`,
    ])) as unknown as ToolResult;
    expect(out.isError).toBeFalsy();
    const prompt = out.structuredContent as { messages: { role: string; content: { text: string } }[] };
    const system = prompt.messages.filter((m) => m.role === 'system').map((m) => m.content.text);
    expect(system.some((t) => t.includes(ALICE) && t.includes(`(ID: ${aliceId})`))).toBe(true);
    expect(prompt.messages.at(-1)).toEqual({ role: 'user', content: { type: 'text', text: query } });
  });

  it('resources/list, resources/read and prompts/get through the Inspector', async () => {
    const listed = (await inspector(['--method', 'resources/list'])) as { resources: { uri: string }[] };
    expect(listed.resources.map((r) => r.uri)).toContain(`memory://memories/${aliceId}`);
    const read = (await inspector(['--method', 'resources/read', '--uri', `memory://memories/${aliceId}`])) as {
      contents: { text: string }[];
    };
    expect(JSON.parse(read.contents[0]!.text).text).toBe(ALICE);
    const prompt = (await inspector([
      '--method',
      'prompts/get',
      '--prompt-name',
      'recall',
      '--prompt-args',
      'topic=Alice food',
    ])) as { messages: { content: { text: string } }[] };
    expect(prompt.messages[0]!.content.text).toContain(`${ALICE} (ID: ${aliceId})`);
  });
});
