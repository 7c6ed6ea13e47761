import { parseArgs } from 'node:util';
import { loadConfig, loadHttpConfig } from '../config.js';
import { openEngine } from '../core/engine.js';
import { MemoryError } from '../errors.js';
import { makeEmbedder } from '../llm/make-embedder.js';
import { openStore } from '../store/open-store.js';
import { withActor } from '../util/actor.js';
import { VERSION } from '../version.js';
import { exportJsonl, importJsonl } from './backup.js';
import { lazyBar } from './progress.js';
import { exitOnFailure, readSettings } from './start.js';

const HELP = `agent-memory ${VERSION} — working and long-term memory for AI agents

Usage: agent-memory <command> [options]

Commands:
  mcp [--mode stdio|sse|streamable-http] [--port 9000] [--host 127.0.0.1] [--task-backend asyncio|docket]
                              Serve MCP: on stdio (the default; Claude Desktop, the MCP Inspector), or over HTTP
                              (sse or streamable-http: the api server on --port, else MCP_PORT, 9000, with /mcp,
                              /sse and REST); --task-backend docket leaves background tasks to worker processes
  api [--port 8000] [--host 127.0.0.1] [--insecure-no-auth] [--no-worker] [--workers N|auto]
                              Serve REST (/v1), MCP over HTTP (/mcp, /sse), docs (/docs) and metrics;
                              --no-worker leaves background tasks to \`agent-memory worker\` processes;
                              --workers runs N server processes on the one port and store (auto: one a core)
  ui [--port 8000] [--host 127.0.0.1] [--no-open]
                              Print and open the web dashboard (/ui) of the api server on that address,
                              starting one (with the api options) when none answers there
  worker [--grace 10]         Run only the background task worker (extraction, enrichment, compaction) on the
                              configured store, beside any number of api processes; stops on SIGTERM/SIGINT
  task-worker [--concurrency 10] [--redelivery-timeout S] [--grace 10]
                              The worker under the reference server's name and flags: --concurrency tasks at once,
                              --redelivery-timeout seconds before a dead worker's task is taken over (the lease)
  schedule-task <task> [--args key=value ...] [--json]
                              Queue a background task by the reference's name: compact_long_term_memories
                              (namespace, user_id), promote_working_memory_to_long_term and run_delayed_extraction
                              (session_id, namespace, user_id), periodic_forget_long_term_memories; a running
                              api, mcp or worker process runs it
  token add --namespace N [--user U] --scope read|write|admin [--expires 30d] [--json]
                              Create an API token for AUTH_MODE=token (printed once)
  token list [--json]         List tokens (ids, scopes, expiry; never the tokens)
  token remove <id>           Revoke a token
  search <text> [filters]     Search long-term memory
      --namespace N  --user-id U  --session-id S  --topics a,b  --entities a,b
      --memory-type semantic|episodic|message  --mode hybrid|keyword|semantic
      --limit 10  --offset 0  --json
  export [--output FILE]      Write every memory and session as JSONL (stdout when no file)
  import <FILE>               Read a JSONL export (progress on stderr)
  erase-user <user_id> [--namespace N] [--yes] [--json]
                              Erase a user's sessions, memories, history, activity, tasks and cached vectors
                              (says what there is, and erases only with --yes)
  stats [--namespace N] [--user-id U]
                              Counts of memories (by namespace, user, type, pinned), sessions, messages, storage
  history <memory_id>         A memory's history: create, edit, merge, delete, forget, with the old texts
  reembed                     Re-embed every memory with the configured EMBEDDING_MODEL
  rebuild-index               Rebuild the search indexes from the stored memories: on SQLite the vector index and
                              the FTS5 keyword index with tags, on Redis its search index (progress on stderr)
  migrate-memories            The reference's data migrations: nothing to do here (says why); opening the store
                              applies this server's own schema migrations
  compact [--namespace N] [--user-id U] [--json]
                              Remove duplicate memories and merge near-duplicates (merging needs an LLM)
  forget [--max-age-days D] [--max-inactive-days D] [--budget N] [--type semantic ...] [--pin ID ...]
         [--namespace N] [--user-id U] [--session-id S] [--limit N] [--apply] [--json]
                              Forget memories by age, inactivity or a keep-N budget (pinned ones never);
                              lists what would go, and deletes only with --apply
  install [<client>] [--scope user|project|local] [--dry-run] [--config FILE] [--url URL --token T]
          [--name agent-memory] [--namespace N] [--user-id U] [--env K=V ...] [--force] [--json]
                              Add this server to an MCP client's config: claude-desktop, claude-code, cursor,
                              vscode, windsurf (merged: other servers are kept, a backup is written beside it;
                              --dry-run prints the diff only). Without a client: the config files it would edit
  doctor [--skip-network] [--json]
                              Check the store, the embedder, the LLM settings and each client's config; say what
                              to fix (exit 1 when something is broken)
  version                     Print the version
  help                        Print this help

Configuration comes from the environment and an optional .env file; see .env.example.
The default store is SQLite at $XDG_DATA_HOME/agent-memory/memory.db (or ~/.local/share/...).`;

const list = (v: string | undefined) =>
  v
    ?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);

async function search(args: string[]) {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      namespace: { type: 'string' },
      'user-id': { type: 'string' },
      'session-id': { type: 'string' },
      topics: { type: 'string' },
      entities: { type: 'string' },
      'memory-type': { type: 'string' },
      mode: { type: 'string', default: 'hybrid' },
      limit: { type: 'string', default: '10' },
      offset: { type: 'string', default: '0' },
      json: { type: 'boolean', default: false },
    },
  });
  const engine = await openEngine(loadConfig());
  try {
    const topics = list(values.topics);
    const entities = list(values.entities);
    const results = await engine.longTerm.search(
      {
        text: positionals.join(' '),
        search_mode: values.mode as 'hybrid',
        limit: Number(values.limit),
        offset: Number(values.offset),
        namespace: values.namespace ? { eq: values.namespace } : undefined,
        user_id: values['user-id'] ? { eq: values['user-id'] } : undefined,
        session_id: values['session-id'] ? { eq: values['session-id'] } : undefined,
        memory_type: values['memory-type'] ? { eq: values['memory-type'] } : undefined,
        topics: topics?.length ? { any: topics } : undefined,
        entities: entities?.length ? { any: entities } : undefined,
      },
      { touch: false },
    );
    if (values.json) {
      process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
    } else {
      for (const m of results.memories) {
        process.stdout.write(`${m.score.toFixed(3)}  ${m.id}  ${m.text}\n`);
      }
      process.stdout.write(`(${results.memories.length} of ${results.total})\n`);
    }
  } finally {
    await engine.close();
  }
}

async function reembed() {
  const config = loadConfig();
  const store = await openStore(config);
  let embedder: Awaited<ReturnType<typeof makeEmbedder>> | undefined;
  try {
    embedder = await makeEmbedder(config.embedding);
    const e = embedder;
    const bar = lazyBar('reembed');
    const n = await store.reembedAll(e.model, e.dimension, (texts) => e.embed(texts, 'memory'), bar.report);
    bar.finish(n, `re-embedded ${n} memories with ${e.model}`);
  } finally {
    // The sentence encoder's worker thread would otherwise outlive the command.
    await embedder?.close?.();
    await store.close();
  }
}

async function main(argv: string[]): Promise<void> {
  readSettings();
  const [command, ...rest] = argv;
  switch (command) {
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${HELP}\n`);
      return;
    case 'version':
    case '--version':
    case '-v':
      process.stdout.write(`${VERSION}\n`);
      return;
    case 'mcp':
      // Without flags, straight to stdio: the bin (cli.ts) sends this start to mcp/stdio-main.js, not here.
      if (rest.length === 0) return (await import('../mcp/stdio.js')).serveStdio(await openEngine(loadConfig()));
      return (await import('./mcp-command.js')).mcpCommand(rest, loadConfig(), loadHttpConfig);
    // Loaded per command, so `mcp` starts without the HTTP stack (its cold start is what a client waits for).
    case 'api':
      return (await import('../http/api-command.js')).apiCommand(rest, loadConfig(), loadHttpConfig());
    case 'ui':
      return (await import('../ui/ui-command.js')).uiCommand(rest, loadConfig(), loadHttpConfig());
    case 'worker':
      return (await import('./worker.js')).workerCommand(rest, loadConfig());
    case 'task-worker':
      return (await import('./worker.js')).taskWorkerCommand(rest, loadConfig());
    case 'schedule-task':
      return (await import('./schedule-task.js')).scheduleTaskCommand(rest, loadConfig());
    case 'migrate-memories':
      return (await import('./migrate-memories.js')).migrateMemoriesCommand(rest, loadConfig());
    case 'token':
      return (await import('../auth/token-command.js')).tokenCommand(rest, loadConfig());
    case 'search':
      return search(rest);
    case 'export': {
      const { values } = parseArgs({ args: rest, options: { output: { type: 'string', short: 'o' } } });
      const engine = await openEngine(loadConfig(), { skipModelCheck: true });
      try {
        const n = await exportJsonl(engine, values.output ?? null);
        process.stderr.write(`exported ${n.memories} memories and ${n.sessions} sessions\n`);
      } finally {
        await engine.close();
      }
      return;
    }
    case 'import': {
      const file = rest[0];
      if (!file) throw new MemoryError('invalid', 'import needs a file: agent-memory import backup.jsonl');
      const engine = await openEngine(loadConfig());
      try {
        await importJsonl(engine, file);
      } finally {
        await engine.close();
      }
      return;
    }
    case 'compact':
      return (await import('./compact.js')).compactCommand(rest);
    case 'forget':
      return (await import('./forget.js')).forgetCommand(rest);
    case 'erase-user':
      return (await import('./erase-user.js')).eraseUserCommand(rest);
    case 'stats':
    case 'history':
      return (await import('./inspect.js')).inspectCommand(command, rest);
    case 'reembed':
      return reembed();
    case 'install':
      return (await import('./install-command.js')).installCommand(rest);
    case 'doctor':
      return (await import('./doctor.js')).doctorCommand(rest);
    case 'rebuild-index':
      return (await import('./rebuild-index.js')).rebuildIndexCommand(rest, loadConfig());
    default:
      throw new MemoryError('invalid', `Unknown command "${command}". Run agent-memory --help.`);
  }
}

/** Runs one command of the bin (cli.ts), and ends the process as exitOnFailure says when it fails. */
export async function cliMain(argv: string[]): Promise<void> {
  // One-shot commands act as "cli" in the activity stream; servers name each request's caller themselves.
  const servers = new Set(['mcp', 'api', 'ui', 'worker', 'task-worker']);
  try {
    await (servers.has(argv[0] ?? '') ? main(argv) : withActor('cli', () => main(argv)));
  } catch (err) {
    exitOnFailure(err);
  }
}
