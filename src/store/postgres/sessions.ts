import { MemoryError } from '../../errors.js';
import type { MemoryMessage } from '../../models/message.js';
import type { WorkingMemory } from '../../models/working-memory.js';
import type { AppendResult, ArchiveUpdate, Page, SessionKey, SessionQuery, StoredSession } from '../port.js';
import { iso, json } from '../sqlite/codec.js';
import {
  expiresAt,
  isExpired,
  type MessageRow,
  messageValues,
  rowToMessage,
  rowToSession,
  type SessionRow,
  sessionValues,
} from '../sqlite/session-rows.js';
import { type Db, RetryTransaction, type Sql } from './client.js';
import { Params } from './filter-sql.js';

const EXPORT_PAGE = 100;

const MESSAGE_JSON = `json_build_object('id', w.id, 'role', w.role, 'content', w.content, 'created_at', w.created_at,
  'persisted_at', w.persisted_at, 'discrete_memory_extracted', w.discrete_memory_extracted)`;

/** A session row with its live message count and messages (and archived ones for export), read in one statement. */
interface LoadedRow extends SessionRow {
  live_count: number;
  messages: MessageRow[];
  archived: MessageRow[] | null;
}

/**
 * Sessions matching `where` (over `sessions s`) with their messages, all from one snapshot: a concurrent append
 * is either wholly in the result (messages, count and version) or not at all. `limit`: the newest live messages.
 */
function loadSql(where: string, limit: string, withArchived: boolean): string {
  const archived = withArchived
    ? `(SELECT json_agg(${MESSAGE_JSON} ORDER BY w.seq) FROM session_messages w
        WHERE w.session_pk = s.pk AND w.archived_at IS NOT NULL)`
    : 'NULL::json';
  return `SELECT s.*,
      (SELECT count(*) FROM session_messages c WHERE c.session_pk = s.pk AND c.archived_at IS NULL) AS live_count,
      (SELECT coalesce(json_agg(${MESSAGE_JSON} ORDER BY w.seq), '[]'::json) FROM (
         SELECT * FROM session_messages x WHERE x.session_pk = s.pk AND x.archived_at IS NULL
         ORDER BY x.seq DESC LIMIT ${limit}) AS w) AS messages,
      ${archived} AS archived
    FROM sessions s WHERE ${where} ORDER BY s.pk`;
}

function toStored(row: LoadedRow): StoredSession {
  const { live_count, messages, archived, ...session } = row;
  const stored = rowToSession(session, messages.map(rowToMessage), live_count);
  if (archived?.length) stored.archived_messages = archived.map(rowToMessage);
  return stored;
}

const describeKey = (r: SessionRow) =>
  `${r.namespace === null ? 'no namespace' : `namespace "${r.namespace}"`}, ${r.user_id === null ? 'no user_id' : `user_id "${r.user_id}"`}`;

function ambiguous(sessionId: string, rows: SessionRow[]): MemoryError {
  return new MemoryError(
    'conflict',
    `Session "${sessionId}" exists in several namespaces/users (${rows.map(describeKey).join('; ')}); pass namespace and/or user_id.`,
  );
}

/** The WHERE of a session query: the id, narrowed by namespace and/or user (null meaning none). */
function queryWhere(q: SessionQuery, p: Params): string {
  let where = `s.session_id = ${p.add(q.session_id)}`;
  if (q.namespace !== undefined) where += ` AND s.namespace IS NOT DISTINCT FROM ${p.add(q.namespace)}::text`;
  if (q.user_id !== undefined) where += ` AND s.user_id IS NOT DISTINCT FROM ${p.add(q.user_id)}::text`;
  return where;
}

const limitOf = (limit: number | undefined) => (limit === undefined ? null : Math.max(0, Math.floor(limit)));

/** Duplicates within one write: the first message with an id is the one stored. */
function firstOfEachId(messages: MemoryMessage[]): MemoryMessage[] {
  const seen = new Set<string>();
  const out: MemoryMessage[] = [];
  for (const m of messages) {
    if (seen.has(m.id)) continue;
    seen.add(m.id);
    out.push(m);
  }
  return out;
}

/**
 * Working memory. Every write runs in a transaction that first locks the session's row (SELECT … FOR UPDATE), so
 * writers of one session, in any process, take turns: appends all land in commit order, and a version check sees
 * the version it replaces. A session created concurrently by another process is found on a retry.
 */
export class SessionRepo {
  constructor(private readonly db: Db) {}

  async get(
    q: SessionQuery,
    opts: { recentMessagesLimit?: number; touch?: boolean } = {},
  ): Promise<StoredSession | null> {
    const now = Date.now();
    const p = new Params();
    const where = queryWhere(q, p);
    const rows = await this.db.rows<LoadedRow>(
      loadSql(where, `${p.add(limitOf(opts.recentMessagesLimit))}::bigint`, false),
      p.values,
    );
    const expired = rows.filter((r) => isExpired(r, now));
    if (expired.length) await this.removeExpired(this.db, expired, now);
    const live = rows.filter((r) => !isExpired(r, now));
    if (live.length > 1) throw ambiguous(q.session_id, live);
    const row = live[0];
    if (!row) return null;
    const session = toStored(row);
    if (opts.touch) {
      await this.db.run('UPDATE sessions SET last_accessed = $1 WHERE pk = $2', [now, row.pk]);
      session.last_accessed = iso(now);
    }
    return session;
  }

  put(s: WorkingMemory, expectedVersion?: number, archived?: MemoryMessage[]): Promise<StoredSession> {
    return this.db.tx((t) => this.putNow(t, s, expectedVersion, archived));
  }

  archive(key: SessionKey, update: ArchiveUpdate, recentMessagesLimit?: number): Promise<StoredSession | null> {
    return this.db.tx(async (t) => {
      const now = Date.now();
      const row = await this.atKey(t, key, now);
      if (!row || row.context !== update.expectedContext) return null;
      if (update.ids.length) {
        await t.run(
          `UPDATE session_messages SET archived_at = $1
           WHERE session_pk = $2 AND id = ANY($3::text[]) AND archived_at IS NULL`,
          [now, row.pk, update.ids],
        );
      }
      await t.run('UPDATE sessions SET context = $1, version = version + 1, updated_at = $2 WHERE pk = $3', [
        update.context,
        now,
        row.pk,
      ]);
      return this.loadPk(t, row.pk, recentMessagesLimit);
    });
  }

  /** Live and archived messages not yet extracted, oldest first. */
  async toExtract(key: SessionKey): Promise<MemoryMessage[]> {
    const rows = await this.db.rows<MessageRow>(
      `SELECT w.id, w.role, w.content, w.created_at, w.persisted_at, w.discrete_memory_extracted
       FROM sessions s JOIN session_messages w ON w.session_pk = s.pk
       WHERE s.session_id = $1 AND s.namespace IS NOT DISTINCT FROM $2::text AND s.user_id IS NOT DISTINCT FROM $3::text
         AND (s.expires_at IS NULL OR s.expires_at > $4) AND w.discrete_memory_extracted = 'f'
       ORDER BY w.seq`,
      [key.session_id, key.namespace, key.user_id, Date.now()],
    );
    return rows.map(rowToMessage);
  }

  markExtracted(key: SessionKey, ids: string[]): Promise<number> {
    return this.db.tx(async (t) => {
      const row = await this.atKey(t, key, Date.now());
      if (!row || ids.length === 0) return 0;
      return t.run(
        `UPDATE session_messages SET discrete_memory_extracted = 't'
         WHERE session_pk = $1 AND discrete_memory_extracted <> 't' AND id = ANY($2::text[])`,
        [row.pk, ids],
      );
    });
  }

  append(
    key: SessionKey,
    messages: MemoryMessage[],
    opts: { ttlSeconds?: number | null; recentMessagesLimit?: number } = {},
  ): Promise<AppendResult> {
    return this.db.tx(async (t) => {
      const now = Date.now();
      const existing = await this.atKey(t, key, now);
      const pk =
        existing?.pk ??
        (await this.insertSession(t, key, {
          context: null,
          data: json({}),
          memories: json([]),
          tokens: 0,
          ttl_seconds: null,
          expires_at: null,
          long_term_memory_strategy: json({ strategy: 'discrete', config: {} }),
          updated_at: now,
          last_accessed: now,
          created_at: now,
          version: 0,
        }));
      const appended = await this.insertMessages(t, pk, messages, now);
      // An explicit ttl replaces the stored one; otherwise the stored ttl slides forward from this write.
      const ttl = opts.ttlSeconds !== undefined ? opts.ttlSeconds : (existing?.ttl_seconds ?? null);
      await t.run(
        `UPDATE sessions SET version = version + 1, updated_at = $1, last_accessed = $1, ttl_seconds = $2,
           expires_at = $3 WHERE pk = $4`,
        [now, ttl, expiresAt(ttl, now), pk],
      );
      return { session: await this.loadPk(t, pk, opts.recentMessagesLimit), appended };
    });
  }

  delete(q: SessionQuery): Promise<boolean> {
    return this.db.tx(async (t) => {
      const now = Date.now();
      const p = new Params();
      const rows = await t.rows<SessionRow>(
        `SELECT * FROM sessions s WHERE ${queryWhere(q, p)} ORDER BY s.pk FOR UPDATE`,
        p.values,
      );
      const expired = rows.filter((r) => isExpired(r, now));
      if (expired.length) await this.removeExpired(t, expired, now);
      const live = rows.filter((r) => !isExpired(r, now));
      if (live.length > 1) throw ambiguous(q.session_id, live);
      if (live.length === 0) return false;
      await t.run('DELETE FROM sessions WHERE pk = $1', [live[0]!.pk]);
      return true;
    });
  }

  async list(
    filter: { namespace?: string | null; user_id?: string | null },
    limit: number,
    offset: number,
  ): Promise<Page<string>> {
    const now = Date.now();
    await this.db.run('DELETE FROM sessions WHERE expires_at <= $1', [now]);
    const p = new Params(now);
    let where = '(expires_at IS NULL OR expires_at > $1)';
    if (filter.namespace !== undefined) where += ` AND namespace IS NOT DISTINCT FROM ${p.add(filter.namespace)}::text`;
    if (filter.user_id !== undefined) where += ` AND user_id IS NOT DISTINCT FROM ${p.add(filter.user_id)}::text`;
    const row = await this.db.one<{ total: number; ids: string[] }>(
      `SELECT (SELECT count(*) FROM sessions WHERE ${where}) AS total,
         ARRAY(SELECT session_id FROM sessions WHERE ${where} ORDER BY updated_at DESC, pk DESC
               LIMIT ${p.add(Math.max(0, Math.floor(limit)))} OFFSET ${p.add(Math.max(0, Math.floor(offset)))}) AS ids`,
      p.values,
    );
    return { items: row?.ids ?? [], total: row?.total ?? 0 };
  }

  /** Pages by primary key so no cursor stays open between yields. */
  async *all(): AsyncGenerator<StoredSession> {
    let after = 0;
    for (;;) {
      const rows = await this.db.rows<LoadedRow>(
        `${loadSql('s.pk > $1 AND (s.expires_at IS NULL OR s.expires_at > $2)', 'NULL', true)} LIMIT $3`,
        [after, Date.now(), EXPORT_PAGE],
      );
      for (const row of rows) yield toStored(row);
      if (rows.length < EXPORT_PAGE) return;
      after = rows[rows.length - 1]!.pk;
    }
  }

  private async removeExpired(sql: Sql, rows: SessionRow[], now: number): Promise<void> {
    await sql.run('DELETE FROM sessions WHERE pk = ANY($1::bigint[]) AND expires_at <= $2', [
      rows.map((r) => r.pk),
      now,
    ]);
  }

  /** The live session at exactly `key`, locked until commit, deleting an expired one found there. */
  private async atKey(t: Sql, key: SessionKey, now: number): Promise<SessionRow | undefined> {
    const rows = await t.rows<SessionRow>(
      `SELECT * FROM sessions
       WHERE session_id = $1 AND namespace IS NOT DISTINCT FROM $2::text AND user_id IS NOT DISTINCT FROM $3::text
       FOR UPDATE`,
      [key.session_id, key.namespace, key.user_id],
    );
    const expired = rows.filter((r) => isExpired(r, now));
    if (expired.length) await this.removeExpired(t, expired, now);
    return rows.find((r) => !isExpired(r, now));
  }

  private async loadPk(t: Sql, pk: number, limit?: number): Promise<StoredSession> {
    const rows = await t.rows<LoadedRow>(loadSql('s.pk = $1', '$2::bigint', false), [pk, limitOf(limit)]);
    return toStored(rows[0]!);
  }

  /**
   * Inserts after the session's last message, skipping ids already in it (live or archived); returns how many
   * were new. `archivedAt` stores them archived (import of an export). The caller holds the session's row lock.
   */
  private async insertMessages(
    t: Sql,
    pk: number,
    messages: MemoryMessage[],
    now: number,
    archivedAt: number | null = null,
  ): Promise<number> {
    const fresh = firstOfEachId(messages);
    if (fresh.length === 0) return 0;
    return t.run(
      `INSERT INTO session_messages (session_pk, seq, id, role, content, created_at, persisted_at,
         discrete_memory_extracted, archived_at)
       SELECT $1, last.seq + v.ord, v.id, v.role, v.content, v.created_at, v.persisted_at,
         v.discrete_memory_extracted, $3
       FROM json_to_recordset($2::json) AS v(ord integer, id text, role text, content text, created_at bigint,
         persisted_at bigint, discrete_memory_extracted text)
       CROSS JOIN (SELECT coalesce(max(seq), 0) AS seq FROM session_messages WHERE session_pk = $1) AS last
       ORDER BY v.ord
       ON CONFLICT (session_pk, id) DO NOTHING`,
      [pk, JSON.stringify(fresh.map((m, i) => ({ ord: i + 1, ...messageValues(m, now) }))), archivedAt],
    );
  }

  /** A new session row; another process creating the same key first makes the transaction start again. */
  private async insertSession(
    t: Sql,
    key: SessionKey,
    values: ReturnType<typeof sessionValues> & { version: number; created_at: number },
  ): Promise<number> {
    const row = await t.one<{ pk: number }>(
      `INSERT INTO sessions (session_id, namespace, user_id, context, data, memories, tokens, ttl_seconds, expires_at,
         long_term_memory_strategy, created_at, updated_at, last_accessed, version)
       VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)
       ON CONFLICT DO NOTHING RETURNING pk`,
      [
        key.session_id,
        key.namespace,
        key.user_id,
        values.context,
        values.data,
        values.memories,
        values.tokens,
        values.ttl_seconds,
        values.expires_at,
        values.long_term_memory_strategy,
        values.created_at,
        values.updated_at,
        values.last_accessed,
        values.version,
      ],
    );
    if (!row) throw new RetryTransaction('the session was created concurrently');
    return row.pk;
  }

  private async putNow(
    t: Sql,
    s: WorkingMemory,
    expected: number | undefined,
    archived: MemoryMessage[] | undefined,
  ): Promise<StoredSession> {
    const now = Date.now();
    const key = { session_id: s.session_id, namespace: s.namespace ?? null, user_id: s.user_id ?? null };
    const existing = await this.atKey(t, key, now);
    const current = existing?.version ?? 0;
    if (expected !== undefined && expected !== current) {
      throw new MemoryError(
        'conflict',
        `Session "${s.session_id}" is at version ${current}, but version ${expected} was expected; read it again and retry.`,
      );
    }
    const values = { ...sessionValues(s, now), version: current + 1 };
    let pk: number;
    // Extraction marks are the server's knowledge: a client re-sending a message with 'f' must not undo one,
    // or the next extraction would store the same memories again.
    let extracted = new Set<string>();
    if (existing) {
      pk = existing.pk;
      const marked = await t.rows<{ id: string }>(
        "SELECT id FROM session_messages WHERE session_pk = $1 AND discrete_memory_extracted = 't'",
        [pk],
      );
      extracted = new Set(marked.map((r) => r.id));
      await t.run(
        `UPDATE sessions SET context = $1, data = $2, memories = $3, tokens = $4, ttl_seconds = $5, expires_at = $6,
           long_term_memory_strategy = $7, updated_at = $8, last_accessed = $9, version = $10
         WHERE pk = $11`,
        [
          values.context,
          values.data,
          values.memories,
          values.tokens,
          values.ttl_seconds,
          values.expires_at,
          values.long_term_memory_strategy,
          values.updated_at,
          values.last_accessed,
          values.version,
          pk,
        ],
      );
      await t.run('DELETE FROM session_messages WHERE session_pk = $1 AND archived_at IS NULL', [pk]);
    } else {
      // A new session keeps a valid created_at it was given, so an export re-imports unchanged.
      const created = Date.parse(s.created_at);
      pk = await this.insertSession(t, key, { ...values, created_at: Number.isNaN(created) ? now : created });
    }
    if (archived?.length) await this.insertMessages(t, pk, archived, now, now);
    const messages = (s.messages ?? []).map((m) =>
      extracted.has(m.id) ? { ...m, discrete_memory_extracted: 't' as const } : m,
    );
    // After every archived message: their seqs stay taken, and the archive is older than the live messages.
    await this.insertMessages(t, pk, messages, now);
    return this.loadPk(t, pk);
  }
}
