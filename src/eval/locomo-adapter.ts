#!/usr/bin/env node
/**
 * Speaks the JSONL protocol of shared/eval/locomo_retrieval_eval.py on stdin/stdout and stores and searches
 * through the REST API, as a client would: `add` is POST /v1/long-term-memory, `search` is POST
 * /v1/long-term-memory/search, one namespace per conversation. The server runs in this process on a loopback port
 * over an in-process store by default (MEMORY_BACKEND=memory; set MEMORY_BACKEND/SQLITE_PATH for a file).
 *
 * Variants, so a gain is checked beyond one ingestion shape:
 *   AM_EVAL_SESSIONS=off        turns are stored without session_id
 *   AM_EVAL_ORDER=shuffled      a conversation's turns are stored in a shuffled order (seeded by namespace)
 *   AM_EVAL_INGEST=observations the conversation's observation facts are stored instead of its turns, each
 *                               crediting the turns it cites (AM_EVAL_DATA: the LoCoMo file)
 *   AM_EVAL_MEMORY_TYPE=…       memory_type of stored items (default message for turns, semantic for facts)
 *   AM_EVAL_FACT_SESSION=id   every item is stored with this session_id (facts saved during one conversation)
 *   AM_EVAL_BATCH=N             memories per create request (default: as the harness sends them)
 *   LOCOMO_SEARCH_MODE, LOCOMO_HYBRID_ALPHA: search_mode and hybrid_alpha of every search
 */
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { loadConfig, loadHttpConfig } from '../config.js';
import { openEngine } from '../core/engine.js';
import { startHttpServer } from '../http/server.js';

interface Item {
  id: string;
  text: string;
  metadata?: Record<string, unknown>;
}

type Request =
  | { op: 'reset'; namespace: string }
  | { op: 'add'; namespace: string; items: Item[] }
  | { op: 'search'; namespace: string; query: string; k?: number }
  | { op: 'close' };

const env = process.env;
const MODE = env.LOCOMO_SEARCH_MODE ?? 'hybrid';
const ALPHA = env.LOCOMO_HYBRID_ALPHA ? Number(env.LOCOMO_HYBRID_ALPHA) : undefined;
const SESSIONS = env.AM_EVAL_SESSIONS !== 'off';
const SHUFFLED = env.AM_EVAL_ORDER === 'shuffled';
const OBSERVATIONS = env.AM_EVAL_INGEST === 'observations';
const BATCH = env.AM_EVAL_BATCH ? Number(env.AM_EVAL_BATCH) : undefined;
const FACT_SESSION = env.AM_EVAL_FACT_SESSION;
const MEMORY_TYPE = env.AM_EVAL_MEMORY_TYPE ?? (OBSERVATIONS ? 'semantic' : 'message');

/** Deterministic PRNG (mulberry32) seeded from a string, so a shuffled run is reproducible. */
function rng(seed: string): () => number {
  let a = 0;
  for (const ch of seed) a = (Math.imul(a, 31) + ch.charCodeAt(0)) | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle<T>(xs: T[], seed: string): T[] {
  const out = [...xs];
  const r = rng(seed);
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}

interface Memory {
  id: string;
  text: string;
  namespace: string;
  session_id?: string;
  memory_type: string;
  metadata: Record<string, unknown>;
}

/** The observation facts of one conversation, each citing the turns it was drawn from. */
function observations(namespace: string): Memory[] {
  const path = env.AM_EVAL_DATA;
  if (!path) throw new Error('AM_EVAL_INGEST=observations needs AM_EVAL_DATA (the LoCoMo JSON file)');
  const data = JSON.parse(readFileSync(path, 'utf8')) as {
    sample_id: string;
    observation: Record<string, Record<string, [string, string | string[]][]>>;
  }[];
  const sample = data.find((s) => s.sample_id === namespace);
  if (!sample) throw new Error(`no conversation ${namespace} in ${path}`);
  const out: Memory[] = [];
  for (const [key, bySpeaker] of Object.entries(sample.observation)) {
    const session = key.match(/session_(\d+)/)?.[1];
    for (const facts of Object.values(bySpeaker)) {
      for (const [text, ids] of facts) {
        const diaIds = (Array.isArray(ids) ? ids : [ids]).flatMap((s) => String(s).split(/[;,\s]+/)).filter(Boolean);
        out.push({
          id: `obs-${out.length}`,
          text,
          namespace,
          session_id: SESSIONS && session ? `session-${session}` : undefined,
          memory_type: MEMORY_TYPE,
          metadata: { dia_ids: diaIds },
        });
      }
    }
  }
  return out;
}

class RestClient {
  /** Memories waiting to be stored: a shuffled or observation run stores a conversation whole, before its first search. */
  private readonly pending = new Map<string, Memory[]>();
  private readonly diaIds = new Map<string, string[]>();

  constructor(private readonly base: string) {}

  private async call(method: string, path: string, body?: unknown): Promise<unknown> {
    const res = await fetch(`${this.base}${path}`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text.slice(0, 300)}`);
    return text ? JSON.parse(text) : null;
  }

  async reset(namespace: string): Promise<void> {
    this.pending.delete(namespace);
    for (;;) {
      const page = (await this.call(
        'GET',
        `/v1/long-term-memory?namespace=${encodeURIComponent(namespace)}&limit=100`,
      )) as { memories: { id: string }[] };
      if (!page.memories.length) return;
      const ids = page.memories.map((m) => `memory_ids=${encodeURIComponent(m.id)}`).join('&');
      await this.call('DELETE', `/v1/long-term-memory?${ids}`);
    }
  }

  async add(namespace: string, items: Item[]): Promise<void> {
    const memories = items.map(
      (it): Memory => ({
        id: it.id,
        text: it.text,
        namespace,
        session_id:
          FACT_SESSION ??
          (SESSIONS && it.metadata?.session !== undefined ? `session-${String(it.metadata.session)}` : undefined),
        memory_type: MEMORY_TYPE,
        metadata: it.metadata ?? {},
      }),
    );
    if (SHUFFLED || OBSERVATIONS) this.pending.set(namespace, [...(this.pending.get(namespace) ?? []), ...memories]);
    else await this.store(memories);
  }

  private async store(memories: Memory[]): Promise<void> {
    const size = BATCH ?? Math.max(1, memories.length);
    for (let i = 0; i < memories.length; i += size) {
      await this.call('POST', '/v1/long-term-memory', { memories: memories.slice(i, i + size), deduplicate: false });
    }
  }

  private async flush(namespace: string): Promise<void> {
    const turns = this.pending.get(namespace);
    if (!turns) return;
    this.pending.delete(namespace);
    let memories = OBSERVATIONS ? observations(namespace) : turns;
    for (const m of memories) {
      const ids = m.metadata.dia_ids;
      if (Array.isArray(ids)) this.diaIds.set(m.id, ids as string[]);
    }
    if (SHUFFLED) memories = shuffle(memories, namespace);
    await this.store(memories);
  }

  async search(namespace: string, query: string, k: number) {
    await this.flush(namespace);
    const res = (await this.call('POST', '/v1/long-term-memory/search', {
      text: query,
      namespace: { eq: namespace },
      limit: k,
      search_mode: MODE,
      hybrid_alpha: ALPHA,
    })) as { memories: { id: string; score: number }[] };
    return res.memories.map((m) => {
      const dia = this.diaIds.get(m.id);
      return dia ? { id: m.id, dia_ids: dia, score: m.score } : { id: m.id, score: m.score };
    });
  }
}

async function main() {
  // No background enrichment or LLM dedup: the evaluation measures retrieval of exactly what it adds.
  const config = loadConfig({ MEMORY_BACKEND: 'memory', LOG_LEVEL: 'warn', ...env });
  const engine = await openEngine(config, { autoStartWorker: false });
  const server = await startHttpServer(
    engine,
    loadHttpConfig({ ...env, PORT: '0', API_HOST: '127.0.0.1', AUTH_MODE: 'disabled', RATE_LIMIT_PER_MINUTE: '0' }),
    {},
  );
  const client = new RestClient(server.url.replace(/\/+$/, ''));
  const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let reply: unknown;
    let req: Request | undefined;
    try {
      req = JSON.parse(line) as Request;
      switch (req.op) {
        case 'reset':
          await client.reset(req.namespace);
          reply = { ok: true };
          break;
        case 'add':
          await client.add(req.namespace, req.items);
          reply = { ok: true };
          break;
        case 'search':
          reply = { results: await client.search(req.namespace, req.query, Math.min(100, Math.max(1, req.k ?? 10))) };
          break;
        case 'close':
          reply = { ok: true };
          break;
      }
    } catch (err) {
      reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
    if (req?.op === 'close') break;
  }
  // Closes the engine too.
  await server.close(1_000);
}

main().catch((err) => {
  process.stderr.write(`locomo-adapter: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
