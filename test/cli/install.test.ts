/**
 * `agent-memory install <client>` as a real process, on config files in a temporary home: merges into what is
 * there (never dropping a server), backs up, is idempotent, and `--dry-run` writes nothing.
 */
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeEach, describe, expect, it } from 'vitest';
import { baseEnv, CLI, cleanup, makeTempStore, runCli } from '../helpers/spawn.js';

afterAll(cleanup);

let home = '';
let project = '';
let env: Record<string, string> = {};
beforeEach(() => {
  const store = makeTempStore();
  home = join(store.dir, 'home');
  project = join(store.dir, 'project');
  mkdirSync(home, { recursive: true });
  mkdirSync(project, { recursive: true });
  env = { ...baseEnv(), HOME: home, XDG_CONFIG_HOME: join(home, '.config'), APPDATA: join(home, 'AppData') };
});

const install = (args: string[]) => runCli(['install', ...args], env, { cwd: project });
const read = (path: string) => JSON.parse(readFileSync(path, 'utf8'));
const backupsOf = (path: string) =>
  readdirSync(join(path, '..')).filter((f) => f.startsWith(`${path.split('/').pop()}.`) && f.endsWith('.bak'));

const TWO_SERVERS = {
  mcpServers: {
    filesystem: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-filesystem', '/tmp'] },
    github: { command: 'docker', args: ['run', '-i', 'ghcr.io/github/github-mcp-server'], env: { TOKEN: 'x' } },
  },
  globalShortcut: 'Ctrl+Space',
};
const claudeDesktopFile = () => join(home, '.config', 'Claude', 'claude_desktop_config.json');

describe('agent-memory install claude-desktop', () => {
  it('dry run: shows a diff that keeps both servers and writes nothing', async () => {
    const file = claudeDesktopFile();
    mkdirSync(join(file, '..'), { recursive: true });
    const before = `${JSON.stringify(TWO_SERVERS, null, 2)}\n`;
    writeFileSync(file, before);
    const r = await install(['claude-desktop', '--dry-run']);
    expect(r.code, r.stderr).toBe(0);
    const diff = r.stdout.split('\n');
    // The other servers are context lines (kept), our entry is added, nothing is removed.
    expect(diff).toContain('     "filesystem": {');
    expect(diff).toContain('     "github": {');
    expect(diff.some((l) => l.startsWith('+') && l.includes('"agent-memory": {'))).toBe(true);
    expect(diff.some((l) => l.startsWith('+') && l.includes(CLI))).toBe(true);
    expect(diff.filter((l) => l.startsWith('-') && !l.startsWith('---'))).toEqual([]);
    expect(r.stdout).toMatch(/Dry run: "agent-memory" would be added .* kept 2 other server\(s\): filesystem, github/);
    expect(readFileSync(file, 'utf8')).toBe(before);
    expect(backupsOf(file)).toEqual([]);
  });

  it('writes all three servers with absolute node and cli.js, backs up, and is idempotent', async () => {
    const file = claudeDesktopFile();
    mkdirSync(join(file, '..'), { recursive: true });
    const before = JSON.stringify(TWO_SERVERS, null, 4);
    writeFileSync(file, before);
    const r = await install(['claude-desktop', '--namespace', 'personal']);
    expect(r.code, r.stderr).toBe(0);
    const after = read(file);
    expect(Object.keys(after.mcpServers)).toEqual(['filesystem', 'github', 'agent-memory']);
    expect(after.mcpServers.filesystem).toEqual(TWO_SERVERS.mcpServers.filesystem);
    expect(after.mcpServers.github).toEqual(TWO_SERVERS.mcpServers.github);
    expect(after.globalShortcut).toBe('Ctrl+Space');
    expect(after.mcpServers['agent-memory']).toEqual({
      command: process.execPath,
      args: [CLI, 'mcp'],
      env: { DEFAULT_MCP_NAMESPACE: 'personal' },
    });
    // Written with the file's own indentation.
    expect(readFileSync(file, 'utf8')).toMatch(/^\{\n {4}"mcpServers"/);
    const backups = backupsOf(file);
    expect(backups).toHaveLength(1);
    expect(readFileSync(join(file, '..', backups[0]!), 'utf8')).toBe(before);
    expect(r.stdout).toMatch(/Backup of the previous file: .*\.bak/);

    const again = await install(['claude-desktop', '--namespace', 'personal']);
    expect(again.stdout).toMatch(/already installed .* nothing to do/);
    expect(backupsOf(file)).toHaveLength(1);

    // A changed setting updates our entry in place, and still keeps the others.
    const changed = await install(['claude-desktop', '--namespace', 'work', '--json']);
    const report = JSON.parse(changed.stdout);
    expect(report).toMatchObject({ action: 'updated', kept: ['filesystem', 'github'], dry_run: false });
    expect(read(file).mcpServers['agent-memory'].env).toEqual({ DEFAULT_MCP_NAMESPACE: 'work' });
    expect(backupsOf(file)).toHaveLength(2);
  });

  it('starts a missing file, and the entry it writes starts a working server', async () => {
    const file = join(home, 'custom', 'claude.json');
    const r = await install(['claude-desktop', '--config', file, '--env', 'LOG_LEVEL=warn']);
    expect(r.code, r.stderr).toBe(0);
    const entry = read(file).mcpServers['agent-memory'];
    const run = await runCli(['version'], env);
    expect(entry.args).toEqual([CLI, 'mcp']);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(backupsOf(file)).toEqual([]);
  });

  it('refuses what it cannot do, touching nothing', async () => {
    const file = claudeDesktopFile();
    mkdirSync(join(file, '..'), { recursive: true });
    writeFileSync(file, '{"mcpServers": {"a": {}},,}');
    const bad = await install(['claude-desktop']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/is not valid JSON .*nothing was written/);
    expect(readFileSync(file, 'utf8')).toBe('{"mcpServers": {"a": {}},,}');

    writeFileSync(file, JSON.stringify({ mcpServers: { 'agent-memory': { command: 'python', args: ['other.py'] } } }));
    const taken = await install(['claude-desktop']);
    expect(taken.code).toBe(2);
    expect(taken.stderr).toMatch(/already has a server "agent-memory" that is not agent-memory/);
    expect((await install(['claude-desktop', '--name', 'memory2'])).code).toBe(0);

    const remote = await install(['claude-desktop', '--url', 'http://127.0.0.1:8000', '--token', 't']);
    expect(remote.code).toBe(2);
    expect(remote.stderr).toMatch(/Settings → Connectors/);
    expect((await install(['nope'])).stderr).toMatch(/name a client: claude-desktop, claude-code, cursor/);
    expect((await install(['cursor', '--token', 'x'])).stderr).toMatch(/--token goes with --url/);
    expect((await install(['windsurf', '--scope', 'project'])).stderr).toMatch(/Windsurf has no project scope/);
    expect((await install(['cursor', '--env', 'no-equals'])).stderr).toMatch(/expected NAME=value/);
  });
});

describe('the other clients', () => {
  it('Cursor (user and project), with a URL and token', async () => {
    const r = await install(['cursor', '--url', 'http://127.0.0.1:8000', '--token', 'sekret']);
    expect(r.code, r.stderr).toBe(0);
    const file = join(home, '.cursor', 'mcp.json');
    expect(read(file).mcpServers['agent-memory']).toEqual({
      url: 'http://127.0.0.1:8000/mcp',
      headers: { Authorization: 'Bearer sekret' },
    });
    // A new file holding a token is private to its owner.
    expect(statSync(file).mode & 0o777).toBe(0o600);
    expect(r.stdout).toMatch(/plain text/);
    await install(['cursor', '--scope', 'project', '--url', 'http://h:9/mcp', '--namespace', 'team']);
    expect(read(join(project, '.cursor', 'mcp.json')).mcpServers['agent-memory'].url).toBe('http://h:9/team/mcp');
  });

  it('VS Code: "servers" with a type, in the user profile or .vscode/mcp.json, keeping a commented file', async () => {
    const user = join(home, '.config', 'Code', 'User', 'mcp.json');
    mkdirSync(join(user, '..'), { recursive: true });
    writeFileSync(
      user,
      '{\n  // mine\n  "servers": {\n    "other": {"type": "stdio", "command": "x",},\n  },\n  "inputs": []\n}\n',
    );
    const r = await install(['vscode']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/comments, which writing it drops/);
    const data = read(user);
    expect(data.servers.other).toEqual({ type: 'stdio', command: 'x' });
    expect(data.servers['agent-memory']).toMatchObject({
      type: 'stdio',
      command: process.execPath,
      args: [CLI, 'mcp'],
    });
    expect(data.inputs).toEqual([]);
    await install(['vscode', '--scope', 'project', '--url', 'http://127.0.0.1:8000/mcp']);
    expect(read(join(project, '.vscode', 'mcp.json')).servers['agent-memory']).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:8000/mcp',
    });
  });

  it('Windsurf uses serverUrl; Claude Code writes ~/.claude.json (user, local) or .mcp.json (project)', async () => {
    await install(['windsurf', '--url', 'http://127.0.0.1:8000']);
    expect(read(join(home, '.codeium', 'windsurf', 'mcp_config.json')).mcpServers['agent-memory']).toEqual({
      serverUrl: 'http://127.0.0.1:8000/mcp',
    });

    writeFileSync(join(home, '.claude.json'), JSON.stringify({ numStartups: 3, projects: { '/x': { a: 1 } } }));
    expect((await install(['claude-code'])).code).toBe(0);
    expect((await install(['claude-code', '--scope', 'local'])).code).toBe(0);
    const claude = read(join(home, '.claude.json'));
    expect(claude.numStartups).toBe(3);
    expect(claude.mcpServers['agent-memory']).toMatchObject({ type: 'stdio', args: [CLI, 'mcp'] });
    expect(claude.projects['/x']).toEqual({ a: 1 });
    expect(claude.projects[project].mcpServers['agent-memory'].type).toBe('stdio');
    await install(['claude-code', '--scope', 'project', '--url', 'http://127.0.0.1:8000', '--token', 't']);
    expect(read(join(project, '.mcp.json')).mcpServers['agent-memory']).toEqual({
      type: 'http',
      url: 'http://127.0.0.1:8000/mcp',
      headers: { Authorization: 'Bearer t' },
    });
  });

  it('lists the config files it would edit', async () => {
    const r = await install([]);
    expect(r.code).toBe(0);
    for (const id of ['claude-desktop', 'claude-code', 'cursor', 'vscode', 'windsurf']) expect(r.stdout).toContain(id);
    expect(r.stdout).toContain(join(home, '.codeium', 'windsurf', 'mcp_config.json'));
    expect(existsSync(join(home, '.cursor'))).toBe(false);

    const json = await install(['--json']);
    expect(json.code, json.stderr).toBe(0);
    expect(JSON.parse(json.stdout)).toContainEqual({
      client: 'windsurf',
      scope: 'user',
      file: join(home, '.codeium', 'windsurf', 'mcp_config.json'),
      exists: false,
    });
  });

  it('refuses, rather than ignores, an option given without a client', async () => {
    const config = join(project, 'other.json');
    for (const args of [['--dry-run'], ['--config', config], ['--url', 'http://127.0.0.1:8000', '--json']]) {
      const r = await install(args);
      expect(r.code, args.join(' ')).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`--${args[0]!.slice(2)} needs a client`));
      expect(r.stdout).toBe('');
    }
    expect(existsSync(config)).toBe(false);
  });
});
