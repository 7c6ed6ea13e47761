import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import Database from 'better-sqlite3';
import { invalid, notFound } from '../errors.js';
import { ulid } from '../util/ulid.js';
import type { Access } from './identity.js';

/** Tokens start with this prefix so secret scanners and people can recognise them. */
export const TOKEN_PREFIX = 'amk_';

export const digestOf = (token: string) => createHash('sha256').update(token, 'utf8').digest('hex');

export interface TokenInfo {
  id: string;
  namespace: string | null;
  user_id: string | null;
  access: Access;
  label: string | null;
  created_at: string;
  expires_at: string | null;
  last_used_at: string | null;
}

interface Row {
  id: string;
  namespace: string | null;
  user_id: string | null;
  access: Access;
  label: string | null;
  created_at: number;
  expires_at: number | null;
  last_used_at: number | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());
const info = (r: Row): TokenInfo => ({
  ...r,
  created_at: iso(r.created_at)!,
  expires_at: iso(r.expires_at),
  last_used_at: iso(r.last_used_at),
});

/** Parses `30d`, `12h`, `45m`, `90s` or `2w` into milliseconds. */
export function parseDuration(text: string): number {
  const m = /^\s*(\d+)\s*([smhdw])\s*$/i.exec(text);
  const unit = { s: 1e3, m: 60e3, h: 3600e3, d: 86_400e3, w: 604_800e3 } as const;
  if (!m || Number(m[1]) <= 0) throw invalid(`--expires: expected a duration such as 30d, 12h or 2w, got "${text}"`);
  return Number(m[1]) * unit[m[2]!.toLowerCase() as keyof typeof unit];
}

/** Last-used times are written at most this often per token, so a busy token does not write on every request. */
const TOUCH_EVERY_MS = 60_000;

/**
 * API tokens, kept in their own table of the store's SQLite file (an in-process database for
 * MEMORY_BACKEND=memory). Only SHA-256 digests are stored; a token is found by its digest, never by a scan.
 */
export class TokenStore {
  private readonly db: Database.Database;

  constructor(path: string, busyTimeoutMs = 10_000) {
    const inMemory = path === ':memory:' || path === '';
    if (!inMemory) mkdirSync(dirname(resolve(path)), { recursive: true });
    this.db = new Database(inMemory ? ':memory:' : path, { timeout: busyTimeoutMs });
    if (!inMemory) this.db.pragma('journal_mode = WAL');
    this.db.exec(`CREATE TABLE IF NOT EXISTS auth_tokens (
      digest TEXT PRIMARY KEY,
      id TEXT NOT NULL UNIQUE,
      namespace TEXT,
      user_id TEXT,
      access TEXT NOT NULL CHECK (access IN ('read', 'write', 'admin')),
      label TEXT,
      created_at INTEGER NOT NULL,
      expires_at INTEGER,
      last_used_at INTEGER
    )`);
  }

  /** Creates a token and returns it once in clear; only its digest is kept. */
  add(opts: {
    namespace?: string | null;
    user_id?: string | null;
    access: Access;
    expiresInMs?: number | null;
    label?: string | null;
    now?: number;
  }): { token: string; info: TokenInfo } {
    const namespace = opts.namespace?.trim() || null;
    if (!namespace && opts.access !== 'admin') {
      throw invalid('--namespace is required for read and write tokens (only admin tokens may span all namespaces)');
    }
    const now = opts.now ?? Date.now();
    const token = TOKEN_PREFIX + randomBytes(32).toString('base64url');
    const row: Row = {
      id: ulid(now),
      namespace,
      user_id: opts.user_id?.trim() || null,
      access: opts.access,
      label: opts.label?.trim() || null,
      created_at: now,
      expires_at: opts.expiresInMs ? now + opts.expiresInMs : null,
      last_used_at: null,
    };
    this.db
      .prepare(
        `INSERT INTO auth_tokens (digest, id, namespace, user_id, access, label, created_at, expires_at, last_used_at)
         VALUES (@digest, @id, @namespace, @user_id, @access, @label, @created_at, @expires_at, @last_used_at)`,
      )
      .run({ ...row, digest: digestOf(token) });
    return { token, info: info(row) };
  }

  /** The token's record by digest, or null; expiry is the caller's to judge. */
  lookup(token: string, now = Date.now()): (TokenInfo & { expired: boolean }) | null {
    const row = this.db
      .prepare(
        'SELECT id, namespace, user_id, access, label, created_at, expires_at, last_used_at FROM auth_tokens WHERE digest = ?',
      )
      .get(digestOf(token)) as Row | undefined;
    if (!row) return null;
    const expired = row.expires_at !== null && row.expires_at <= now;
    if (!expired && (row.last_used_at === null || now - row.last_used_at > TOUCH_EVERY_MS)) {
      this.db.prepare('UPDATE auth_tokens SET last_used_at = ? WHERE id = ?').run(now, row.id);
      row.last_used_at = now;
    }
    return { ...info(row), expired };
  }

  list(): TokenInfo[] {
    const rows = this.db
      .prepare(
        'SELECT id, namespace, user_id, access, label, created_at, expires_at, last_used_at FROM auth_tokens ORDER BY created_at, id',
      )
      .all() as Row[];
    return rows.map(info);
  }

  remove(id: string): void {
    const { changes } = this.db.prepare('DELETE FROM auth_tokens WHERE id = ?').run(id.trim());
    if (!changes) throw notFound(`No token with id "${id}". Run agent-memory token list to see the ids.`);
  }

  close(): void {
    this.db.close();
  }
}
