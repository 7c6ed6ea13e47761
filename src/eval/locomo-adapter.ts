#!/usr/bin/env node
/**
 * Speaks the JSONL protocol of shared/eval/locomo_retrieval_eval.py on stdin/stdout, through the same engine the
 * servers use: `add` is create_long_term_memories, `search` is search_memory, one namespace per conversation.
 * Runs on an in-process store by default (MEMORY_BACKEND=memory); set MEMORY_BACKEND/SQLITE_PATH to use a file.
 */
import { createInterface } from 'node:readline';
import { loadConfig } from '../config.js';
import { type Engine, openEngine } from '../core/engine.js';
import type { SearchMode } from '../models/search.js';

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

const MODE = (process.env.LOCOMO_SEARCH_MODE ?? 'hybrid') as SearchMode;
const ALPHA = process.env.LOCOMO_HYBRID_ALPHA ? Number(process.env.LOCOMO_HYBRID_ALPHA) : undefined;

async function handle(engine: Engine, req: Request): Promise<unknown> {
  switch (req.op) {
    case 'reset': {
      for (;;) {
        const page = await engine.longTerm.list({ namespace: { eq: req.namespace } }, 1000, 0);
        if (!page.memories.length) break;
        await engine.longTerm.delete(page.memories.map((m) => m.id));
      }
      return { ok: true };
    }
    case 'add': {
      await engine.longTerm.create(
        req.items.map((it) => ({
          id: it.id,
          text: it.text,
          namespace: req.namespace,
          session_id: it.metadata?.session !== undefined ? `session-${String(it.metadata.session)}` : undefined,
          memory_type: 'message' as const,
          metadata: it.metadata ?? {},
        })),
        { deduplicate: false },
      );
      return { ok: true };
    }
    case 'search': {
      const k = Math.min(100, Math.max(1, req.k ?? 10));
      const res = await engine.longTerm.search(
        { text: req.query, namespace: { eq: req.namespace }, limit: k, search_mode: MODE, hybrid_alpha: ALPHA },
        { touch: false },
      );
      return { results: res.memories.map((m) => ({ id: m.id, score: m.score })) };
    }
    case 'close':
      return { ok: true };
  }
}

async function main() {
  // No background enrichment or LLM dedup: the evaluation measures retrieval of exactly the turns it adds.
  const engine = await openEngine(loadConfig({ MEMORY_BACKEND: 'memory', LOG_LEVEL: 'warn', ...process.env }), {
    autoStartWorker: false,
  });
  const rl = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of rl) {
    if (!line.trim()) continue;
    let reply: unknown;
    let req: Request | undefined;
    try {
      req = JSON.parse(line) as Request;
      reply = await handle(engine, req);
    } catch (err) {
      reply = { ok: false, error: err instanceof Error ? err.message : String(err) };
    }
    process.stdout.write(`${JSON.stringify(reply)}\n`);
    if (req?.op === 'close') break;
  }
  await engine.close();
}

main().catch((err) => {
  process.stderr.write(`locomo-adapter: ${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
