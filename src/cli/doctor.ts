import { accessSync, constants, existsSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, join } from 'node:path';
import { parseArgs } from 'node:util';
import { type Config, ConfigError, loadConfig } from '../config.js';
import { makeChatModels } from '../llm/make-chat.js';
import { makeEmbedder } from '../llm/make-embedder.js';
import { openStore } from '../store/open-store.js';
import { VERSION } from '../version.js';
import { CLIENT_IDS, CLIENTS, looksLikeOurs, placesFrom } from './install/clients.js';
import { readConfigFile } from './install/config-file.js';

type Status = 'ok' | 'warn' | 'fail';
export interface Check {
  area: string;
  status: Status;
  detail: string;
  fix?: string;
}

const ok = (area: string, detail: string): Check => ({ area, status: 'ok', detail });
const warn = (area: string, detail: string, fix?: string): Check => ({ area, status: 'warn', detail, fix });
const fail = (area: string, detail: string, fix?: string): Check => ({ area, status: 'fail', detail, fix });
const message = (err: unknown) => (err instanceof Error ? err.message : String(err));

async function within<T>(ms: number, what: string, work: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

function nodeCheck(): Check {
  const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);
  return major > 20 || (major === 20 && minor >= 19)
    ? ok('node', `Node ${process.versions.node} at ${process.execPath}`)
    : fail('node', `Node ${process.versions.node} is older than 20.19`, 'Install Node 20.19 or newer (22 LTS works).');
}

const NATIVE_HINT =
  'The native SQLite modules did not load: run `npm rebuild better-sqlite3` in the package folder (it needs a ' +
  'prebuilt binary for this Node, or python3, make and a C++ compiler), and check that sqlite-vec has a build for ' +
  `${process.platform}-${process.arch}.`;

/** Whether a store URL names this machine (localhost, a loopback address, a socket), for --skip-network. */
export function onThisMachine(url: string): boolean {
  let host: string;
  try {
    const parsed = new URL(url);
    // libpq also takes the host as ?host=… (a folder there is a Unix socket).
    host = parsed.hostname || (parsed.searchParams.get('host') ?? '').replace(/^\/.*/, '');
  } catch {
    return false;
  }
  return host === '' || host === 'localhost' || host === '[::1]' || /^127\./.test(host);
}

/** The first existing folder on the way up from `path`, and whether this user may write there. */
function writableAncestor(path: string): { dir: string; writable: boolean } {
  let dir = dirname(path);
  while (!existsSync(dir) && dirname(dir) !== dir) dir = dirname(dir);
  try {
    accessSync(dir, constants.W_OK);
    return { dir, writable: true };
  } catch {
    return { dir, writable: false };
  }
}

async function storeChecks(config: Config, skipNetwork: boolean): Promise<{ checks: Check[]; recorded?: string }> {
  const fresh = config.backend === 'sqlite' && !existsSync(config.sqlitePath);
  if (fresh) {
    const { dir, writable } = writableAncestor(config.sqlitePath);
    if (!writable) {
      return {
        checks: [fail('store', `${config.sqlitePath} cannot be created: ${dir} is not writable`, 'Set SQLITE_PATH.')],
      };
    }
  }
  if (skipNetwork && config.backend === 'redis' && !onThisMachine(config.redis.url)) {
    return { checks: [warn('store', 'Redis not checked (--skip-network)')] };
  }
  if (skipNetwork && config.backend === 'postgres' && !onThisMachine(config.postgres.url)) {
    return { checks: [warn('store', 'PostgreSQL not checked (--skip-network)')] };
  }
  try {
    // A database that does not exist yet is not created by a check: an in-memory one proves the modules load.
    const store = await within(
      15_000,
      'opening the store',
      openStore(fresh ? { ...config, backend: 'memory' } : config),
    );
    try {
      if (fresh) {
        return { checks: [ok('store', `SQLite ${config.sqlitePath}: no database yet (created on first start)`)] };
      }
      const counts = await store.counts({});
      const where = config.backend === 'sqlite' ? `SQLite ${config.sqlitePath}` : store.kind;
      const detail = `${where}: ${counts.memories} memories, ${counts.sessions} sessions`;
      const recorded = (await store.recordedEmbeddingModel())?.model;
      const checks = [store.readOnly ? warn('store', `${detail}; read-only`, store.readOnly) : ok('store', detail)];
      return { checks, recorded };
    } finally {
      await store.close();
    }
  } catch (err) {
    const text = message(err);
    const native = /bindings|NODE_MODULE_VERSION|dlopen|better_sqlite3|sqlite-vec|vec0/i.test(text);
    const fix = native
      ? NATIVE_HINT
      : config.backend === 'sqlite'
        ? 'Check SQLITE_PATH and its permissions.'
        : 'Check the store URL (REDIS_URL / DATABASE_URL) and that the server is running.';
    return { checks: [fail('store', text, fix)] };
  }
}

async function embedderCheck(config: Config, recorded: string | undefined, skipNetwork: boolean): Promise<Check> {
  const e = config.embedding;
  if (e.provider !== 'offline' && skipNetwork) return warn('embedder', `${e.model} not called (--skip-network)`);
  if (recorded && recorded !== e.model && (e.explicit || e.provider !== 'offline')) {
    return fail(
      'embedder',
      `EMBEDDING_MODEL is ${e.model}, but the store's memories were embedded with ${recorded}`,
      'Run `agent-memory reembed` to re-embed them, or set EMBEDDING_MODEL back.',
    );
  }
  try {
    const started = performance.now();
    const embedder = await within(120_000, 'loading the embedder', makeEmbedder(e));
    try {
      const [vector] = await within(120_000, 'embedding a test text', embedder.embed(['agent-memory doctor check']));
      const ms = Math.round(performance.now() - started);
      const kept = recorded && recorded !== e.model ? ` (this store keeps ${recorded} until reembed)` : '';
      return ok('embedder', `${embedder.model}: ${vector?.length} dimensions, ready in ${ms} ms${kept}`);
    } finally {
      await embedder.close?.();
    }
  } catch (err) {
    const fix =
      e.provider === 'openai'
        ? 'Check OPENAI_API_BASE / OPENAI_API_KEY and that the server serves EMBEDDING_MODEL.'
        : 'Reinstall the package (its offline models ship in npm packages), or set EMBEDDING_MODEL=offline-hash-v1.';
    return fail('embedder', message(err), fix);
  }
}

async function llmChecks(config: Config, skipNetwork: boolean): Promise<Check[]> {
  const chat = makeChatModels({ ...config.llm, maxRetries: 0, timeoutMs: Math.min(config.llm.timeoutMs, 20_000) });
  if (!chat.generation) {
    return [
      warn(
        'llm',
        `no LLM: ${chat.unavailableReason ?? 'none configured'}; summaries trim without an LLM, extraction and merges are off`,
        'Set OPENAI_API_KEY, ANTHROPIC_API_KEY, or OPENAI_API_BASE (Ollama, vLLM) to turn them on (docs/llm.md).',
      ),
    ];
  }
  // The fast model is often the generation model: one call each per distinct model.
  const models = [chat.generation, chat.fast]
    .filter((m) => m !== null)
    .filter((m, i, all) => all.findIndex((o) => o.provider === m.provider && o.model === m.model) === i);
  if (skipNetwork) {
    return models.map((m) => ok('llm', `${m.provider} ${m.model} configured; not called (--skip-network)`));
  }
  return Promise.all(
    models.map(async (m) => {
      const started = performance.now();
      try {
        await m.complete({ messages: [{ role: 'user', content: 'Reply with the word OK.' }], maxTokens: 8 });
        return ok('llm', `${m.provider} ${m.model} answered in ${Math.round(performance.now() - started)} ms`);
      } catch (err) {
        return fail('llm', message(err), 'Check the model name, the API key and the base URL (docs/llm.md).');
      }
    }),
  );
}

/** A stdio entry's cli.js: the argument before `mcp`. */
function cliOf(entry: { args?: unknown }): string | undefined {
  const args = Array.isArray(entry.args) ? entry.args.filter((a): a is string => typeof a === 'string') : [];
  return args.find((a) => /cli\.js$/.test(a));
}

async function urlCheck(area: string, url: string, headers: Record<string, string>): Promise<Check> {
  const base = new URL(url);
  try {
    const health = await fetch(new URL('/v1/health', base.origin), { signal: AbortSignal.timeout(3_000) });
    if (!health.ok) return fail(area, `${base.origin}/v1/health answered ${health.status}`, 'Is it agent-memory?');
    const stats = await fetch(new URL('/v1/stats', base.origin), { headers, signal: AbortSignal.timeout(3_000) });
    if (stats.status === 401 || stats.status === 403) {
      return fail(area, `${url}: the token is refused (${stats.status})`, 'Create one with `agent-memory token add`.');
    }
    return ok(area, `${url} is up`);
  } catch (err) {
    return fail(area, `${url} does not answer: ${message(err)}`, 'Start it with `agent-memory api`, or fix the URL.');
  }
}

async function clientChecks(skipNetwork: boolean): Promise<Check[]> {
  const places = placesFrom(process.env, process.cwd());
  const checks: Check[] = [];
  let installed = 0;
  for (const id of CLIENT_IDS) {
    const spec = CLIENTS[id];
    for (const scope of spec.scopes) {
      const path = spec.file(scope, places);
      if (!existsSync(path)) continue;
      const area = `${id} (${scope})`;
      let servers: Record<string, unknown> = {};
      try {
        let node: unknown = readConfigFile(path).data;
        for (const key of spec.serversPath(scope, places)) node = (node as Record<string, unknown> | undefined)?.[key];
        servers = node && typeof node === 'object' ? (node as Record<string, unknown>) : {};
      } catch (err) {
        checks.push(
          fail(area, message(err), `Fix ${path}; \`agent-memory install ${id}\` refuses to edit it until then.`),
        );
        continue;
      }
      for (const [name, entry] of Object.entries(servers)) {
        if (!looksLikeOurs(entry, name === 'agent-memory')) continue;
        installed++;
        const e = entry as Record<string, unknown>;
        const where = `${area} "${name}"`;
        const url = (e.url ?? e.serverUrl) as string | undefined;
        if (typeof url === 'string') {
          checks.push(
            skipNetwork
              ? ok(where, `${url} (not called: --skip-network)`)
              : await urlCheck(where, url, (e.headers ?? {}) as Record<string, string>),
          );
          continue;
        }
        const command = String(e.command ?? '');
        const cli = cliOf(e);
        const reinstall = `Run \`agent-memory install ${id}${scope === 'user' ? '' : ` --scope ${scope}`}\` again.`;
        if (isAbsolute(command) && !existsSync(command)) {
          checks.push(fail(where, `runs ${command}, which does not exist`, reinstall));
        } else if (cli && !existsSync(cli)) {
          checks.push(fail(where, `runs ${cli}, which does not exist (moved or uninstalled)`, reinstall));
        } else {
          const version = cli ? installedVersion(cli) : undefined;
          const other =
            version && version !== VERSION ? `; that installation is version ${version}, this one ${VERSION}` : '';
          const pathNote = isAbsolute(command) ? '' : ` (${command} is found through the client's PATH)`;
          checks.push(
            (other ? warn : ok)(
              where,
              `${command} ${cli ?? ''}${pathNote}${other}`.trim(),
              other ? reinstall : undefined,
            ),
          );
        }
      }
    }
  }
  if (installed === 0) {
    checks.push(warn('clients', 'agent-memory is in no MCP client config', 'Run `agent-memory install <client>`.'));
  }
  return checks;
}

function installedVersion(cli: string): string | undefined {
  try {
    return JSON.parse(readFileSync(join(dirname(cli), '..', '..', 'package.json'), 'utf8')).version;
  } catch {
    return undefined;
  }
}

export async function runDoctor(opts: { skipNetwork: boolean }): Promise<Check[]> {
  const checks = [nodeCheck()];
  let config: Config | undefined;
  try {
    config = loadConfig();
    checks.push(ok('config', `store ${config.backend}, embedder ${config.embedding.model}`));
  } catch (err) {
    checks.push(
      fail('config', message(err), err instanceof ConfigError ? 'Fix that variable (see .env.example).' : undefined),
    );
  }
  if (config) {
    const store = await storeChecks(config, opts.skipNetwork);
    checks.push(...store.checks);
    checks.push(await embedderCheck(config, store.recorded, opts.skipNetwork));
    checks.push(...(await llmChecks(config, opts.skipNetwork)));
  }
  checks.push(...(await clientChecks(opts.skipNetwork)));
  return checks;
}

const MARK: Record<Status, string> = { ok: '✓', warn: '!', fail: '✗' };

export async function doctorCommand(args: string[]): Promise<void> {
  const { values } = parseArgs({ args, options: { 'skip-network': { type: 'boolean' }, json: { type: 'boolean' } } });
  const checks = await runDoctor({ skipNetwork: values['skip-network'] ?? false });
  if (values.json) {
    process.stdout.write(`${JSON.stringify(checks, null, 2)}\n`);
  } else {
    const width = Math.max(...checks.map((c) => c.area.length));
    for (const c of checks) {
      const detail = c.detail.replace(/\n\s*/g, `\n  ${' '.repeat(width)}  `);
      process.stdout.write(`${MARK[c.status]} ${c.area.padEnd(width)}  ${detail}\n`);
      if (c.fix) process.stdout.write(`  ${' '.repeat(width)}  fix: ${c.fix}\n`);
    }
    const failed = checks.filter((c) => c.status === 'fail').length;
    const warned = checks.filter((c) => c.status === 'warn').length;
    process.stdout.write(
      failed ? `${failed} problem(s) to fix.\n` : `All good${warned ? ` (${warned} note(s))` : ''}.\n`,
    );
  }
  if (checks.some((c) => c.status === 'fail')) process.exitCode = 1;
}
