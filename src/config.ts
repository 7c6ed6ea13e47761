import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no', 'on', 'off'], {
    message: 'expected true or false',
  })
  .transform((v) => ['true', '1', 'yes', 'on'].includes(v));
const int = (min: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: 'expected a whole number' })
    .transform(Number)
    .pipe(z.number().int().min(min));
const optionalText = z
  .string()
  .optional()
  .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export function defaultSqlitePath(env: NodeJS.ProcessEnv = process.env): string {
  const base = env.XDG_DATA_HOME?.trim() || join(homedir(), '.local', 'share');
  return join(base, 'agent-memory', 'memory.db');
}

/** Every setting, read from the environment. Names follow the reference server where it has one. */
const Settings = z.object({
  MEMORY_BACKEND: z.enum(['sqlite', 'memory'], { message: "expected 'sqlite' or 'memory'" }).default('sqlite'),
  SQLITE_PATH: optionalText,
  EMBEDDING_PROVIDER: z.enum(['offline', 'openai'], { message: "expected 'offline' or 'openai'" }).optional(),
  EMBEDDING_MODEL: optionalText,
  EMBEDDING_DIMENSIONS: int(1).optional(),
  OPENAI_API_KEY: optionalText,
  OPENAI_API_BASE: z.url({ message: 'expected a URL such as http://localhost:11434/v1' }).optional(),
  MAX_TEXT_BYTES: int(1).default(16_384),
  DEFAULT_MCP_NAMESPACE: optionalText,
  DEFAULT_MCP_USER_ID: optionalText,
  LOG_LEVEL: z.enum(['debug', 'info', 'warn', 'error', 'silent']).default('info'),
  SQLITE_BUSY_TIMEOUT_MS: int(0).default(10_000),
  RECENCY_BOOST: bool.default(true),
});

export interface Config {
  backend: 'sqlite' | 'memory';
  sqlitePath: string;
  embedding: { provider: 'offline' | 'openai'; model: string; dimensions?: number; apiKey?: string; baseUrl?: string };
  maxTextBytes: number;
  defaultNamespace?: string;
  defaultUserId?: string;
  logLevel: 'debug' | 'info' | 'warn' | 'error' | 'silent';
  busyTimeoutMs: number;
  recencyBoost: boolean;
}

export const OFFLINE_EMBEDDING_MODEL = 'offline-hash-v1';

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
    const lines = parsed.error.issues.map((i) => `  ${String(i.path[0])}=${JSON.stringify(env[String(i.path[0])])}: ${i.message}`);
    throw new ConfigError(`Invalid configuration:\n${lines.join('\n')}`);
  }
  const s = parsed.data;
  const provider = s.EMBEDDING_PROVIDER ?? (s.EMBEDDING_MODEL && s.EMBEDDING_MODEL !== OFFLINE_EMBEDDING_MODEL ? 'openai' : 'offline');
  if (provider === 'openai' && !s.OPENAI_API_KEY && !s.OPENAI_API_BASE) {
    throw new ConfigError(
      'Invalid configuration:\n  EMBEDDING_PROVIDER=openai needs OPENAI_API_KEY (OpenAI) or OPENAI_API_BASE (an OpenAI-compatible server such as Ollama).',
    );
  }
  return {
    backend: s.MEMORY_BACKEND,
    sqlitePath: s.SQLITE_PATH ?? defaultSqlitePath(env),
    embedding: {
      provider,
      model: provider === 'offline' ? OFFLINE_EMBEDDING_MODEL : (s.EMBEDDING_MODEL ?? 'text-embedding-3-small'),
      dimensions: s.EMBEDDING_DIMENSIONS,
      apiKey: s.OPENAI_API_KEY,
      baseUrl: s.OPENAI_API_BASE,
    },
    maxTextBytes: s.MAX_TEXT_BYTES,
    defaultNamespace: s.DEFAULT_MCP_NAMESPACE,
    defaultUserId: s.DEFAULT_MCP_USER_ID,
    logLevel: s.LOG_LEVEL,
    busyTimeoutMs: s.SQLITE_BUSY_TIMEOUT_MS,
    recencyBoost: s.RECENCY_BOOST,
  };
}

/** Loads `.env` from the working directory when present; real environment variables win. */
export function loadDotEnv(path = '.env'): void {
  if (existsSync(path)) process.loadEnvFile(path);
}
