import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, connectMcp, isAlive, type McpConnection, makeTempStore, runCli, textOf } from '../helpers/spawn.js';

interface Results {
  memories: { id: string; text: string }[];
  total: number;
}

const store = makeTempStore();
let server: McpConnection;

beforeAll(async () => {
  server = await connectMcp(store.env({ MAX_TEXT_BYTES: '100' }));
});
afterEach(() => {
  expect(server.errors.splice(0)).toEqual([]);
});
afterAll(cleanup);

/** Calls a tool that must fail; returns its message. */
async function fails(name: string, args: Record<string, unknown>): Promise<string> {
  const result = await server.call(name, args);
  expect(result.isError, `${name} ${JSON.stringify(args)} should fail`).toBe(true);
  expect(result.structuredContent).toBeUndefined();
  return textOf(result);
}

/** Every memory in namespace `ns` (an empty query lists them). */
async function listNamespace(ns: string) {
  return server.ok<Results>('search_memory', { query: '', namespace: ns, limit: 100 });
}

const long = 'x'.repeat(150);

describe('bad input over MCP stdio', () => {
  it('rejects an empty memory text and writes nothing', async () => {
    const msg = await fails('create_long_term_memories', { memories: [{ text: '', namespace: 'bad-empty' }] });
    expect(msg).toMatch(/empty/i);
    expect(msg).toContain('memories[0].text');
    const blank = await fails('create_long_term_memories', { memories: [{ text: '   ', namespace: 'bad-empty' }] });
    expect(blank).toMatch(/empty/i);
    expect((await listNamespace('bad-empty')).total).toBe(0);
  });

  it('rejects a text over MAX_TEXT_BYTES, naming the limit', async () => {
    const msg = await fails('create_long_term_memories', { memories: [{ text: long, namespace: 'bad-size' }] });
    expect(msg).toContain('MAX_TEXT_BYTES');
    expect(msg).toContain('memories[0]');
    expect(msg).toContain('150');
    expect(msg).toContain('100');
    expect((await listNamespace('bad-size')).total).toBe(0);
    // Exactly at the limit is fine.
    const ok = await server.ok<{ created: number }>('create_long_term_memories', {
      memories: [{ text: 'y'.repeat(100), namespace: 'bad-size' }],
    });
    expect(ok.created).toBe(1);
  });

  it('rejects an oversized text in edit_long_term_memory and append_messages', async () => {
    const { memories } = await server.ok<{ memories: { id: string }[] }>('create_long_term_memories', {
      memories: [{ text: 'Gina plays chess on Sundays', namespace: 'bad-edit' }],
    });
    const id = memories[0]!.id;
    const msg = await fails('edit_long_term_memory', { memory_id: id, text: long });
    expect(msg).toContain('MAX_TEXT_BYTES');
    const unchanged = await server.ok<{ text: string }>('get_long_term_memory', { memory_id: id });
    expect(unchanged.text).toBe('Gina plays chess on Sundays');

    const appendMsg = await fails('append_messages', {
      session_id: 'bad-append',
      messages: [
        { id: 'a1', role: 'user', content: 'fine' },
        { id: 'a2', role: 'user', content: long },
      ],
    });
    expect(appendMsg).toContain('messages[1]');
    expect(appendMsg).toContain('MAX_TEXT_BYTES');
    // The session was not created with the good first message.
    const missing = await server.call('get_working_memory', { session_id: 'bad-append' });
    expect(missing.isError).toBe(true);
  });

  it('rejects an unknown filter operator instead of ignoring it', async () => {
    const msg = await fails('search_memory', { query: 'anything', namespace: { like: 'x' } });
    expect(msg).toContain('"like"');
    expect(msg).toContain('namespace');
    const topics = await fails('search_memory', { query: 'anything', topics: { contains: 'x' } });
    expect(topics).toContain('"contains"');
    expect(topics).toContain('topics');
    const time = await fails('search_memory', { query: 'anything', created_at: { after: '2026-01-01' } });
    expect(time).toContain('"after"');
    expect(time).toContain('created_at');
    const date = await fails('search_memory', { query: 'anything', created_at: { gte: 'not a date' } });
    expect(date).toContain('created_at.gte');
    const prompt = await fails('memory_prompt', { query: 'anything', topics: { like: 'x' } });
    expect(prompt).toContain('"like"');
  });

  it('rejects wrong types, naming the argument', async () => {
    const limit = await fails('search_memory', { query: 'anything', limit: 'ten' });
    expect(limit).toContain('limit');
    const memories = await fails('create_long_term_memories', { memories: 'x' });
    expect(memories).toContain('memories');
    const noArgs = await fails('create_long_term_memories', {});
    expect(noArgs).toContain('memories');
    const badType = await fails('create_long_term_memories', {
      memories: [{ text: 'Hal likes tea', memory_type: 'fact' }],
    });
    expect(badType).toContain('memory_type');
    const badRole = await fails('append_messages', { session_id: 's', messages: [{ role: 42, content: 'hi' }] });
    expect(badRole).toContain('role');
    const hugeLimit = await fails('search_memory', { query: 'anything', limit: 1000 });
    expect(hugeLimit).toContain('limit');
  });

  it('unknown memory ids: get and edit fail naming the id, delete returns 0', async () => {
    const get = await fails('get_long_term_memory', { memory_id: 'no-such-memory' });
    expect(get).toContain('no-such-memory');
    const edit = await fails('edit_long_term_memory', { memory_id: 'no-such-memory', text: 'New text' });
    expect(edit).toContain('no-such-memory');
    const del = await server.ok<{ deleted: number }>('delete_long_term_memories', { memory_ids: ['no-such-memory'] });
    expect(del.deleted).toBe(0);
  });

  it('a batch whose 2nd memory is too large fails whole, naming memories[1]', async () => {
    const ns = 'bad-batch-size';
    const msg = await fails('create_long_term_memories', {
      memories: [
        { text: 'Ivan owns a sailboat called Wanderer', namespace: ns },
        { text: long, namespace: ns },
        { text: 'Judy teaches piano in Leeds', namespace: ns },
      ],
    });
    expect(msg).toContain('memories[1]');
    expect(msg).toContain('MAX_TEXT_BYTES');
    expect((await listNamespace(ns)).total).toBe(0);
    const search = await server.ok<Results>('search_memory', {
      query: 'Ivan sailboat Judy piano',
      search_mode: 'keyword',
    });
    expect(search.memories.filter((m) => /Ivan|Judy/.test(m.text))).toEqual([]);
  });

  it('a batch whose 2nd memory is invalid fails whole, naming memories[1]', async () => {
    const ns = 'bad-batch-schema';
    const msg = await fails('create_long_term_memories', {
      memories: [
        { text: 'Karl repairs vintage radios', namespace: ns },
        { text: '', namespace: ns },
        { text: 'Lena sings in a choir', namespace: ns },
      ],
    });
    expect(msg).toContain('memories[1]');
    expect(msg).toMatch(/empty/i);
    expect((await listNamespace(ns)).total).toBe(0);
    const search = await server.ok<Results>('search_memory', {
      query: 'Karl radios Lena choir',
      search_mode: 'keyword',
    });
    expect(search.memories.filter((m) => /Karl|Lena/.test(m.text))).toEqual([]);
  });

  it('the server survived every bad call and still serves valid ones', async () => {
    expect(isAlive(server.pid)).toBe(true);
    const created = await server.ok<{ created: number; memories: { id: string }[] }>('create_long_term_memories', {
      memories: [{ text: 'Mona bakes sourdough bread every Friday', namespace: 'good' }],
    });
    expect(created.created).toBe(1);
    const found = await server.ok<Results>('search_memory', { query: 'Who bakes bread?', namespace: 'good' });
    expect(found.memories[0]?.id).toBe(created.memories[0]?.id);
    expect(server.stderr()).not.toMatch(/uncaught|unhandled/i);
  });
});

describe('invalid configuration', () => {
  it('MEMORY_BACKEND=postgres: mcp exits non-zero and names MEMORY_BACKEND on stderr', async () => {
    const res = await runCli(['mcp'], store.env({ MEMORY_BACKEND: 'postgres' }));
    expect(res.code).not.toBe(0);
    expect(res.code).not.toBeNull();
    expect(res.stderr).toContain('MEMORY_BACKEND');
    expect(res.stderr).toContain('postgres');
    expect(res.stdout).toBe('');
  });

  it('MAX_TEXT_BYTES=abc: mcp exits non-zero and names MAX_TEXT_BYTES on stderr', async () => {
    const res = await runCli(['mcp'], store.env({ MAX_TEXT_BYTES: 'abc' }));
    expect(res.code).not.toBe(0);
    expect(res.code).not.toBeNull();
    expect(res.stderr).toContain('MAX_TEXT_BYTES');
    expect(res.stdout).toBe('');
  });
});

describe('first mistakes on the command line (regression, issue 11)', () => {
  it('a SQLITE_PATH that is a folder or not a database is named with what to do, and no stack trace', async () => {
    const { mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const folder = join(store.dir, 'a-folder');
    mkdirSync(folder, { recursive: true });
    const notDb = join(store.dir, 'notes.txt');
    writeFileSync(notDb, 'these are my notes, not a database\n'.repeat(20));
    for (const [path, says] of [
      [folder, /is a folder: point SQLITE_PATH at a file/],
      [notDb, /is not a SQLite database/],
    ] as const) {
      for (const command of [['search', 'x'], ['mcp']]) {
        const res = await runCli(command, store.env({ SQLITE_PATH: path }));
        expect(res.code, `${command[0]} ${path}`).toBe(2);
        expect(res.stderr).toContain(`SQLITE_PATH=${path}`);
        expect(res.stderr).toMatch(says);
        expect(res.stderr).not.toMatch(/\n\s+at /);
        expect(res.stdout).toBe('');
      }
    }
  });

  it('import of a missing file, export into a missing folder and a URL without a scheme are usage errors', async () => {
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['import', '/no/such/backup.jsonl'], {}, /import: there is no file \/no\/such\/backup\.jsonl/],
      [['export', '--output', '/no/such/dir/out.jsonl'], {}, /export: the folder \/no\/such\/dir does not exist/],
      [['search', 'x'], { OPENAI_API_BASE: 'localhost:11434' }, /OPENAI_API_BASE="localhost:11434": expected an http/],
    ];
    for (const [args, env, says] of cases) {
      const res = await runCli(args, store.env(env));
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toMatch(says);
      expect(res.stderr).not.toMatch(/\n\s+at /);
    }
  });

  it('SQLITE_PATH=~/… means the home folder, and .env is also read from the config folder', async () => {
    const { existsSync, mkdirSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const home = join(store.dir, 'home');
    const config = join(store.dir, 'config');
    mkdirSync(join(config, 'agent-memory'), { recursive: true });
    writeFileSync(join(config, 'agent-memory', '.env'), 'DEFAULT_MCP_NAMESPACE=from-dotenv\n');
    const env = {
      ...store.env({ SQLITE_PATH: '~/tilde.db', HOME: home, XDG_CONFIG_HOME: config, AGENT_MEMORY_NO_DOTENV: '0' }),
    };
    const created = await runCli(['stats'], env);
    expect(created.code, created.stderr).toBe(0);
    expect(existsSync(join(home, 'tilde.db'))).toBe(true);
    const mcp = await connectMcp(env);
    try {
      const made = await mcp.ok<{ memories: { id: string }[] }>('create_long_term_memories', {
        memories: [{ text: 'Nina restores clocks' }],
      });
      const got = await mcp.ok<{ namespace: string }>('get_long_term_memory', { memory_id: made.memories[0]!.id });
      expect(got.namespace).toBe('from-dotenv');
    } finally {
      await mcp.close();
    }
  });
});
