import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, connectMcp, makeTempStore, ROOT, runCli } from '../helpers/spawn.js';

const VERSION = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;

const ALICE = "Alice's favourite food is sushi";
const REPORT = 'The quarterly report is due on 14 March 2026';
const BOB = 'Bob drives a red bicycle to work';

interface ExportLine {
  kind: 'memory' | 'session';
  [key: string]: unknown;
}

const source = makeTempStore();
let aliceId = '';

beforeAll(async () => {
  const mcp = await connectMcp(source.env());
  const created = await mcp.ok<{ memories: { id: string; text: string }[] }>('create_long_term_memories', {
    memories: [
      { text: ALICE, topics: ['food', 'preferences'], entities: ['Alice'] },
      { text: REPORT, topics: ['work'], event_date: '2026-03-14T00:00:00Z', memory_type: 'episodic' },
      { text: BOB, namespace: 'team', user_id: 'u-bob' },
    ],
  });
  aliceId = created.memories[0]!.id;
  await mcp.ok('set_working_memory', {
    session_id: 'cli-session',
    context: 'Talking about lunch.',
    data: { mood: 'hungry' },
    messages: [
      { id: 'c1', role: 'user', content: 'Where should we eat?' },
      { id: 'c2', role: 'assistant', content: 'How about sushi?' },
    ],
  });
  await mcp.ok('append_messages', {
    session_id: 'cli-session',
    messages: [{ id: 'c3', role: 'user', content: 'Great, sushi it is.' }],
  });
  await mcp.close();
});
afterAll(cleanup);

const parseJsonl = (text: string) =>
  text
    .split('\n')
    .filter((l) => l.trim())
    .map((l) => JSON.parse(l) as ExportLine);

describe('agent-memory CLI', () => {
  it('--help and help print the usage', async () => {
    for (const arg of ['--help', 'help']) {
      const res = await runCli([arg], source.env());
      expect(res.code).toBe(0);
      expect(res.stdout).toContain('Usage: agent-memory <command>');
      for (const cmd of ['mcp', 'search', 'export', 'import', 'reembed', 'version']) expect(res.stdout).toContain(cmd);
    }
  });

  it('version prints the package version', async () => {
    for (const arg of ['version', '--version']) {
      const res = await runCli([arg], source.env());
      expect(res.code).toBe(0);
      expect(res.stdout.trim()).toBe(VERSION);
    }
  });

  it('an unknown command exits non-zero and says so on stderr', async () => {
    const res = await runCli(['frobnicate'], source.env());
    expect(res.code).not.toBe(0);
    expect(res.stderr).toContain('frobnicate');
    expect(res.stdout).toBe('');
  });

  it('search prints the memory a question is about first, on a file written through MCP', async () => {
    const res = await runCli(['search', 'What does Alice like to eat?'], source.env());
    expect(res.code, res.stderr).toBe(0);
    const lines = res.stdout.trim().split('\n');
    expect(lines[0]).toContain(aliceId);
    expect(lines[0]).toContain(ALICE);
    expect(lines.at(-1)).toMatch(/^\(\d+ of \d+\)$/);
  });

  it('search --json prints parseable results; filters narrow them', async () => {
    const res = await runCli(['search', 'What does Alice like to eat?', '--json', '--limit', '2'], source.env());
    expect(res.code, res.stderr).toBe(0);
    const out = JSON.parse(res.stdout) as { memories: { id: string; text: string }[]; total: number };
    expect(out.memories[0]?.id).toBe(aliceId);
    expect(out.memories[0]?.text).toBe(ALICE);
    expect(out.memories.length).toBeLessThanOrEqual(2);

    const team = await runCli(['search', 'Who drives a bicycle?', '--namespace', 'team', '--json'], source.env());
    expect(team.code, team.stderr).toBe(0);
    const teamOut = JSON.parse(team.stdout) as { memories: { text: string }[] };
    expect(teamOut.memories.map((m) => m.text)).toEqual([BOB]);

    const topics = await runCli(['search', 'report', '--topics', 'work', '--json'], source.env());
    expect((JSON.parse(topics.stdout) as { memories: { text: string }[] }).memories.map((m) => m.text)).toEqual([
      REPORT,
    ]);
  });

  it('export then import into a fresh file restores the same memories and sessions', async () => {
    const file = join(source.dir, 'backup.jsonl');
    const exp = await runCli(['export', '--output', file], source.env());
    expect(exp.code, exp.stderr).toBe(0);
    expect(exp.stdout).toBe('');
    expect(exp.stderr).toContain('exported 3 memories and 1 sessions');
    const lines = parseJsonl(readFileSync(file, 'utf8'));
    const memories = lines.filter((l) => l.kind === 'memory');
    const sessions = lines.filter((l) => l.kind === 'session');
    expect(memories.map((m) => m.text).sort()).toEqual([ALICE, BOB, REPORT].sort());
    expect(sessions).toHaveLength(1);

    // Export to stdout writes the same lines.
    const toStdout = await runCli(['export'], source.env());
    expect(toStdout.code, toStdout.stderr).toBe(0);
    expect(parseJsonl(toStdout.stdout)).toEqual(lines);

    const target = makeTempStore();
    const imp = await runCli(['import', file], target.env());
    expect(imp.code, imp.stderr).toBe(0);
    expect(imp.stderr).toContain('imported 3 memories and 1 sessions');

    const again = await runCli(['export'], target.env());
    expect(again.code, again.stderr).toBe(0);
    const restored = parseJsonl(again.stdout);
    const key = (l: ExportLine) => String(l.id);
    const restoredMemories = restored.filter((l) => l.kind === 'memory').sort((a, b) => key(a).localeCompare(key(b)));
    const originalMemories = [...memories].sort((a, b) => key(a).localeCompare(key(b)));
    expect(
      restoredMemories.map((m) => [m.id, m.text, m.topics, m.entities, m.created_at, m.namespace, m.user_id]),
    ).toEqual(originalMemories.map((m) => [m.id, m.text, m.topics, m.entities, m.created_at, m.namespace, m.user_id]));
    // Nothing else about a memory changes either (times, counters, hashes).
    expect(restoredMemories).toEqual(originalMemories);

    const [session] = restored.filter((l) => l.kind === 'session');
    const [original] = sessions;
    for (const field of ['session_id', 'namespace', 'user_id', 'messages', 'context', 'data', 'created_at'] as const) {
      expect(session?.[field], field).toEqual(original?.[field]);
    }
    expect(((session?.messages ?? []) as { id: string }[]).map((m) => m.id)).toEqual(['c1', 'c2', 'c3']);

    // The restored file is usable by a server: search and working memory work over MCP.
    const mcp = await connectMcp(target.env());
    const found = await mcp.ok<{ memories: { id: string }[] }>('search_memory', {
      query: 'What does Alice like to eat?',
    });
    expect(found.memories[0]?.id).toBe(aliceId);
    const wm = await mcp.ok<{ messages: { id: string; content: string }[] }>('get_working_memory', {
      session_id: 'cli-session',
    });
    expect(wm.messages.map((m) => m.content)).toEqual([
      'Where should we eat?',
      'How about sushi?',
      'Great, sushi it is.',
    ]);
    await mcp.close();
  });

  it('import of a file with a bad line exits non-zero and names the line', async () => {
    const file = join(source.dir, 'backup.jsonl');
    const good = readFileSync(file, 'utf8').split('\n').filter(Boolean);

    const notJson = join(source.dir, 'not-json.jsonl');
    writeFileSync(notJson, `${good[0]}\n{"kind": "memory", oops\n${good[1]}\n`);
    const target = makeTempStore();
    const res = await runCli(['import', notJson], target.env());
    expect(res.code).not.toBe(0);
    expect(res.code).not.toBeNull();
    expect(res.stderr).toMatch(/not-json\.jsonl:2\b/);

    const invalid = join(source.dir, 'invalid.jsonl');
    writeFileSync(invalid, `${good[0]}\n${good[1]}\n{"kind":"memory","id":"m-x","text":"no other fields"}\n`);
    const res2 = await runCli(['import', invalid], makeTempStore().env());
    expect(res2.code).not.toBe(0);
    expect(res2.stderr).toMatch(/invalid\.jsonl:3\b/);

    const unknownKind = join(source.dir, 'kind.jsonl');
    writeFileSync(unknownKind, '{"kind":"widget"}\n');
    const res3 = await runCli(['import', unknownKind], makeTempStore().env());
    expect(res3.code).not.toBe(0);
    expect(res3.stderr).toMatch(/kind\.jsonl:1\b/);

    const missing = await runCli(['import'], makeTempStore().env());
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('import');
  });

  it('a database of the old default keeps its model, then reembed moves it to the new default', async () => {
    const old = makeTempStore();
    const hashed = await connectMcp(old.env({ EMBEDDING_MODEL: 'offline-hash-v1' }));
    await hashed.ok('create_long_term_memories', { memories: [{ text: 'My sister Priya had a baby girl in June' }] });
    await hashed.close();

    // No model named: the recorded one stays in force, and start-up says how to switch.
    const before = await runCli(['search', '--json', 'Priya baby'], old.env({ LOG_LEVEL: 'info' }));
    expect(before.code).toBe(0);
    expect(before.stderr).toContain('agent-memory reembed');
    expect(before.stdout).toContain('Priya');

    const re = await runCli(['reembed'], old.env());
    expect(re.code).toBe(0);
    expect(re.stderr).toContain('offline-use-wordvec-v1');
    const after = await runCli(
      ['search', 'Which month did my sibling become a mother?'],
      old.env({ LOG_LEVEL: 'info' }),
    );
    expect(after.code).toBe(0);
    expect(after.stderr).not.toContain('agent-memory reembed');
    expect(after.stdout).toContain('Priya');
  });
});
