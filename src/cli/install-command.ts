import { existsSync } from 'node:fs';
import { sep } from 'node:path';
import { isDeepStrictEqual, parseArgs } from 'node:util';
import { z } from 'zod';
import { describeZodIssues, MemoryError } from '../errors.js';
import { Identifier } from '../models/common.js';
import { CLIENT_IDS, CLIENTS, type ClientSpec, looksLikeOurs, placesFrom, SCOPES } from './install/clients.js';
import { readConfigFile, renderConfig, writeConfigFile } from './install/config-file.js';
import { cliPath } from './install/paths.js';
import { unifiedDiff } from './install/text-diff.js';

const EnvPair = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]*=/, 'expected NAME=value')
  .transform((s) => [s.slice(0, s.indexOf('=')), s.slice(s.indexOf('=') + 1)] as const);

const InstallArgs = z
  .strictObject({
    client: z.enum(CLIENT_IDS, { error: `name a client: ${CLIENT_IDS.join(', ')}` }),
    scope: z.enum(SCOPES).optional(),
    name: Identifier.regex(/^[\w.@-]+$/, 'letters, digits, _ . @ - only').default('agent-memory'),
    config: z.string().min(1).optional(),
    'dry-run': z.boolean().default(false),
    url: z.url({ protocol: /^https?$/, error: 'expected an http(s) URL such as http://127.0.0.1:8000/mcp' }).optional(),
    token: z.string().min(1).optional(),
    namespace: Identifier.optional(),
    'user-id': Identifier.optional(),
    env: z.array(EnvPair).default([]),
    force: z.boolean().default(false),
    json: z.boolean().default(false),
  })
  .refine((a) => a.token === undefined || a.url !== undefined, {
    message: '--token goes with --url: a local (stdio) server needs no token',
  })
  .refine((a) => a.url === undefined || (a['user-id'] === undefined && a.env.length === 0), {
    message: '--user-id and --env configure a local server; with --url the token decides the user',
  });
type InstallArgs = z.output<typeof InstallArgs>;

export interface InstallReport {
  client: string;
  scope: string;
  file: string;
  name: string;
  action: 'added' | 'updated' | 'unchanged';
  /** The other servers in the file, all kept. */
  kept: string[];
  backup: string | null;
  dry_run: boolean;
  diff: string;
  entry: Record<string, unknown>;
  notes: string[];
}

/** The MCP endpoint for a URL given as the server's base (`http://host:8000`) or as the endpoint itself. */
function endpointOf(raw: string, namespace: string | undefined): string {
  const url = new URL(raw);
  const path = url.pathname.replace(/\/+$/, '');
  if (namespace !== undefined) {
    if (path !== '' && path !== '/mcp') {
      throw new MemoryError('invalid', `--namespace with --url: give the base URL or …/mcp, not ${url.pathname}`);
    }
    url.pathname = `/${encodeURIComponent(namespace)}/mcp`;
  } else if (path === '') {
    url.pathname = '/mcp';
  }
  return url.toString();
}

function entryFor(spec: ClientSpec, a: InstallArgs, notes: string[]): Record<string, unknown> {
  if (a.url !== undefined) {
    const entry = spec.url({
      url: endpointOf(a.url, a.namespace),
      headers: a.token ? { Authorization: `Bearer ${a.token}` } : {},
    });
    if (typeof entry === 'string') throw new MemoryError('invalid', entry);
    if (a.token) notes.push('The token is written into the file in plain text; keep the file private.');
    return entry;
  }
  const cli = cliPath();
  if (!existsSync(cli)) notes.push(`${cli} does not exist yet: run \`npm run build\` in the clone.`);
  if (cli.includes(`${sep}_npx${sep}`)) {
    notes.push(
      'This runs from npx’s cache, which npm may clear: install the package (npm install -g agent-memory) and ' +
        'run `agent-memory install` again for a lasting path.',
    );
  }
  const env: Record<string, string> = Object.fromEntries(a.env);
  if (a.namespace) env.DEFAULT_MCP_NAMESPACE = a.namespace;
  if (a['user-id']) env.DEFAULT_MCP_USER_ID = a['user-id'];
  // Absolute paths of node and the installed cli.js: clients start servers without the user's shell PATH.
  return spec.stdio({ command: process.execPath, args: [cli, 'mcp'], env });
}

/** The object holding the servers, created along `path` when missing; refuses to overwrite a non-object. */
function serversIn(data: Record<string, unknown>, path: string[], file: string): Record<string, unknown> {
  let node = data;
  for (const key of path) {
    const next = node[key];
    if (next === undefined || next === null) node[key] = {};
    else if (typeof next !== 'object' || Array.isArray(next)) {
      throw new MemoryError('invalid', `${file}: "${path.join('.')}" is not an object; nothing was written.`);
    }
    node = node[key] as Record<string, unknown>;
  }
  return node;
}

export function planInstall(a: InstallArgs, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()) {
  const spec = CLIENTS[a.client];
  const scope = a.scope ?? 'user';
  if (!spec.scopes.includes(scope)) {
    throw new MemoryError('invalid', `${spec.label} has no ${scope} scope; it has: ${spec.scopes.join(', ')}.`);
  }
  const places = placesFrom(env, cwd);
  const file = readConfigFile(a.config ?? spec.file(scope, places));
  const notes: string[] = [];
  const entry = entryFor(spec, a, notes);
  const data = structuredClone(file.data);
  const servers = serversIn(data, spec.serversPath(scope, places), file.path);
  const existing = servers[a.name];
  const kept = Object.keys(servers).filter((n) => n !== a.name);
  if (existing !== undefined && !isDeepStrictEqual(existing, entry) && !looksLikeOurs(existing, true) && !a.force) {
    throw new MemoryError(
      'conflict',
      `${file.path} already has a server "${a.name}" that is not agent-memory; choose another --name, or --force to replace it.`,
    );
  }
  const action = existing === undefined ? 'added' : isDeepStrictEqual(existing, entry) ? 'unchanged' : 'updated';
  servers[a.name] = entry;
  if (file.hadComments && action !== 'unchanged') {
    notes.push('The file has comments, which writing it drops (the backup keeps them).');
  }
  const text = action === 'unchanged' ? file.text : renderConfig(file, data);
  return { spec, scope, file, entry, action, kept, text, notes } as const;
}

export function runInstall(a: InstallArgs, env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): InstallReport {
  const plan = planInstall(a, env, cwd);
  const { file, action } = plan;
  const diff =
    action === 'unchanged'
      ? ''
      : unifiedDiff(file.text, plan.text, {
          from: file.exists ? `${file.path} (now)` : '/dev/null (no file yet)',
          to: `${file.path} (after install)`,
        });
  const secret = a.token !== undefined;
  const backup = a['dry-run'] || action === 'unchanged' ? null : writeConfigFile(file, plan.text, { secret });
  return {
    client: plan.spec.id,
    scope: plan.scope,
    file: file.path,
    name: a.name,
    action,
    kept: plan.kept,
    backup,
    dry_run: a['dry-run'],
    diff,
    entry: plan.entry,
    notes: action === 'unchanged' || a['dry-run'] ? plan.notes : [...plan.notes, plan.spec.after],
  };
}

function describe(r: InstallReport): string {
  const lines: string[] = [];
  if (r.dry_run && r.diff) lines.push(r.diff.trimEnd());
  const where = `${r.file} (${CLIENTS[r.client as keyof typeof CLIENTS].label}, ${r.scope} scope)`;
  const others = r.kept.length ? `; kept ${r.kept.length} other server(s): ${r.kept.join(', ')}` : '';
  if (r.action === 'unchanged')
    lines.push(`"${r.name}" is already installed in ${where}, as it would be written: nothing to do.`);
  else if (r.dry_run)
    lines.push(`Dry run: "${r.name}" would be ${r.action} in ${where}${others}. Nothing was written.`);
  else {
    lines.push(`"${r.name}" ${r.action} in ${where}${others}.`);
    if (r.backup) lines.push(`Backup of the previous file: ${r.backup}`);
  }
  for (const n of r.notes) lines.push(n);
  return `${lines.join('\n')}\n`;
}

const USAGE = `Usage: agent-memory install <client> [--scope user|project|local] [--name agent-memory] [--config FILE]
                            [--dry-run] [--url URL [--token TOKEN]] [--namespace N] [--user-id U] [--env K=V ...]
                            [--force] [--json]
Clients: ${CLIENT_IDS.join(', ')}`;

/** The config file of every client and scope on this machine. */
function clientFiles(): { client: string; scope: string; file: string; exists: boolean }[] {
  const places = placesFrom(process.env, process.cwd());
  return CLIENT_IDS.flatMap((id) =>
    CLIENTS[id].scopes.map((scope) => {
      const file = CLIENTS[id].file(scope, places);
      return { client: id, scope, file, exists: existsSync(file) };
    }),
  );
}

function listClients(): string {
  const rows = clientFiles().map(
    (f) => `  ${f.client.padEnd(15)} ${f.scope.padEnd(8)} ${f.file}${f.exists ? '' : '   (no file yet)'}`,
  );
  return `${USAGE}\n\nConfig files on this machine:\n${rows.join('\n')}\n`;
}

export async function installCommand(args: string[]): Promise<void> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      scope: { type: 'string' },
      name: { type: 'string' },
      config: { type: 'string' },
      'dry-run': { type: 'boolean' },
      url: { type: 'string' },
      token: { type: 'string' },
      namespace: { type: 'string' },
      'user-id': { type: 'string' },
      env: { type: 'string', multiple: true },
      force: { type: 'boolean' },
      json: { type: 'boolean' },
    },
  });
  if (positionals.length === 0) {
    // Listing the config files takes --json only; any other option needs a client to act on.
    const given = Object.keys(values).filter((k) => k !== 'json');
    if (given.length) {
      throw new MemoryError(
        'invalid',
        `--${given[0]} needs a client: agent-memory install <client> --${given[0]} …\n${USAGE}`,
      );
    }
    process.stdout.write(values.json ? `${JSON.stringify(clientFiles(), null, 2)}\n` : listClients());
    return;
  }
  if (positionals.length > 1) throw new MemoryError('invalid', `install takes one client.\n${USAGE}`);
  const parsed = InstallArgs.safeParse({ client: positionals[0], ...values });
  if (!parsed.success) throw new MemoryError('invalid', `${describeZodIssues(parsed.error.issues)}\n${USAGE}`);
  const report = runInstall(parsed.data);
  process.stdout.write(parsed.data.json ? `${JSON.stringify(report, null, 2)}\n` : describe(report));
}
