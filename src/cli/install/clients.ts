/**
 * The MCP clients `agent-memory install` knows: where each keeps its server list, under which key, and the entry
 * shape it reads. Facts from each client's documentation (see docs/install.md for the sources).
 */
import { homedir } from 'node:os';
import { join } from 'node:path';

export const CLIENT_IDS = ['claude-desktop', 'claude-code', 'cursor', 'vscode', 'windsurf'] as const;
export type ClientId = (typeof CLIENT_IDS)[number];
export const SCOPES = ['user', 'project', 'local'] as const;
export type InstallScope = (typeof SCOPES)[number];

/** Where the machine keeps per-user files: taken from the environment so tests (and odd setups) can move it. */
export interface Places {
  platform: NodeJS.Platform;
  home: string;
  /** %APPDATA% on Windows. */
  appData: string;
  /** $XDG_CONFIG_HOME (Linux). */
  xdgConfig: string;
  /** The project folder for project and local scopes. */
  cwd: string;
}

export function placesFrom(env: NodeJS.ProcessEnv, cwd: string, platform = process.platform): Places {
  const home = env.HOME || env.USERPROFILE || homedir();
  return {
    platform,
    home,
    appData: env.APPDATA || join(home, 'AppData', 'Roaming'),
    xdgConfig: env.XDG_CONFIG_HOME || join(home, '.config'),
    cwd,
  };
}

export interface StdioServer {
  command: string;
  args: string[];
  env: Record<string, string>;
}
export interface UrlServer {
  url: string;
  headers: Record<string, string>;
}

export interface ClientSpec {
  id: ClientId;
  label: string;
  scopes: readonly InstallScope[];
  /** The config file of a scope. */
  file(scope: InstallScope, at: Places): string;
  /** The path of keys, inside that file, to the object holding the servers by name. */
  serversPath(scope: InstallScope, at: Places): string[];
  stdio(s: StdioServer): Record<string, unknown>;
  /** The entry for a server at a URL, or a string saying why this client cannot take one in its file. */
  url(s: UrlServer): Record<string, unknown> | string;
  /** What to do after the file changed. */
  after: string;
}

const withEnv = (s: StdioServer) => ({
  command: s.command,
  args: s.args,
  ...(Object.keys(s.env).length ? { env: s.env } : {}),
});
const withHeaders = (headers: Record<string, string>) => (Object.keys(headers).length ? { headers } : {});

/** The per-user application-data folder of an Electron app (Claude Desktop, VS Code). */
function appDataDir(at: Places, app: string): string {
  if (at.platform === 'darwin') return join(at.home, 'Library', 'Application Support', app);
  if (at.platform === 'win32') return join(at.appData, app);
  return join(at.xdgConfig, app);
}

export const CLIENTS: Record<ClientId, ClientSpec> = {
  'claude-desktop': {
    id: 'claude-desktop',
    label: 'Claude Desktop',
    scopes: ['user'],
    // Linux has no official build; the community builds read the same file under ~/.config/Claude.
    file: (_scope, at) => join(appDataDir(at, 'Claude'), 'claude_desktop_config.json'),
    serversPath: () => ['mcpServers'],
    stdio: withEnv,
    url: () =>
      'Claude Desktop does not connect to remote servers listed in claude_desktop_config.json: add the URL under ' +
      'Settings → Connectors (a server Anthropic can reach), or install without --url to run agent-memory locally.',
    after: 'Quit and reopen Claude Desktop to load it.',
  },
  'claude-code': {
    id: 'claude-code',
    label: 'Claude Code',
    scopes: ['user', 'project', 'local'],
    file: (scope, at) => (scope === 'project' ? join(at.cwd, '.mcp.json') : join(at.home, '.claude.json')),
    serversPath: (scope, at) => (scope === 'local' ? ['projects', at.cwd, 'mcpServers'] : ['mcpServers']),
    stdio: (s) => ({ type: 'stdio', ...withEnv(s) }),
    url: (s) => ({ type: 'http', url: s.url, ...withHeaders(s.headers) }),
    after:
      'Start a new Claude Code session (`/mcp` lists it). Claude Code rewrites ~/.claude.json while it runs: if ' +
      'a session was open during the install, run the install again after closing it.',
  },
  cursor: {
    id: 'cursor',
    label: 'Cursor',
    scopes: ['user', 'project'],
    file: (scope, at) => join(scope === 'project' ? at.cwd : at.home, '.cursor', 'mcp.json'),
    serversPath: () => ['mcpServers'],
    stdio: withEnv,
    url: (s) => ({ url: s.url, ...withHeaders(s.headers) }),
    after: 'Cursor picks it up from Settings → MCP (toggle it on if it is off).',
  },
  vscode: {
    id: 'vscode',
    label: 'VS Code',
    scopes: ['user', 'project'],
    file: (scope, at) =>
      scope === 'project' ? join(at.cwd, '.vscode', 'mcp.json') : join(appDataDir(at, 'Code'), 'User', 'mcp.json'),
    serversPath: () => ['servers'],
    stdio: (s) => ({ type: 'stdio', ...withEnv(s) }),
    url: (s) => ({ type: 'http', url: s.url, ...withHeaders(s.headers) }),
    after: 'VS Code lists it under MCP: List Servers; start it from there (or from the mcp.json code lens).',
  },
  windsurf: {
    id: 'windsurf',
    label: 'Windsurf',
    scopes: ['user'],
    file: (_scope, at) => join(at.home, '.codeium', 'windsurf', 'mcp_config.json'),
    serversPath: () => ['mcpServers'],
    stdio: withEnv,
    url: (s) => ({ serverUrl: s.url, ...withHeaders(s.headers) }),
    after: 'Press refresh in Windsurf’s MCP panel (Cascade → plugins) to load it.',
  },
};

/**
 * Whether a server entry is agent-memory's: a stdio entry that runs its cli.js (or the `agent-memory` command), or
 * an entry at a URL under the name given (a URL says nothing about the server behind it).
 */
export function looksLikeOurs(entry: unknown, nameIsOurs: boolean): boolean {
  if (!entry || typeof entry !== 'object') return false;
  const e = entry as { command?: unknown; args?: unknown; url?: unknown; serverUrl?: unknown };
  const words = [e.command, ...(Array.isArray(e.args) ? e.args : [])].filter((w) => typeof w === 'string');
  if (words.some((w) => /agent-memory/.test(w as string))) return true;
  // A clone in a folder of another name still runs dist/src/cli.js mcp.
  if (words.includes('mcp') && words.some((w) => /[\\/]dist[\\/]src[\\/]cli\.js$/.test(w as string))) return true;
  return nameIsOurs && (typeof e.url === 'string' || typeof e.serverUrl === 'string');
}
