import { MemoryError } from '../../errors.js';
import type { MemoryMessage } from '../../models/message.js';
import type { WorkingMemory } from '../../models/working-memory.js';
import { packText } from '../payload-codec.js';
import type { AppendResult, ArchiveUpdate, Page, SessionKey, SessionQuery, StoredSession } from '../port.js';
import { iso, json } from './codec.js';
import type { Db } from './open.js';
import {
  expiresAt,
  isExpired,
  type MessageRow,
  messageValues,
  rowToMessage,
  rowToSession,
  type SessionRow,
  sessionValues,
} from './session-rows.js';
import type { StatementCache } from './statements.js';

const EXPORT_PAGE = 100;
const MESSAGE_COLUMNS = 'id, role, content, created_at, persisted_at, discrete_memory_extracted';
// Archived rows (summarized or trimmed out of the session) are kept for export and extraction only.
const LIVE = 'archived_at IS NULL';

const describeKey = (r: SessionRow) =>
  `${r.namespace === null ? 'no namespace' : `namespace "${r.namespace}"`}, ${r.user_id === null ? 'no user_id' : `user_id "${r.user_id}"`}`;

function ambiguous(sessionId: string, rows: SessionRow[]): MemoryError {
  return new MemoryError(
    'conflict',
    `Session "${sessionId}" exists in several namespaces/users (${rows.map(describeKey).join('; ')}); pass namespace and/or user_id.`,
  );
}

interface Lookup {
  live: SessionRow[];
  expired: SessionRow[];
}

export class SessionRepo {
  /** SQLITE_COMPRESS: long message contents are stored compressed (payload-codec.ts `packText`). */
  compress = true;
  private readonly readTx;
  private readonly putTx;
  private readonly archiveTx;
  private readonly markTx;
  private readonly appendTx;
  private readonly deleteTx;
  private readonly listTx;

  constructor(
    db: Db,
    private readonly stmts: StatementCache,
  ) {
    this.readTx = db.transaction((q: SessionQuery, limit: number | undefined, now: number) => {
      const found = this.lookup(q, now);
      const row = found.live.length === 1 ? found.live[0]! : undefined;
      return { found, session: row ? this.load(row, limit) : null };
    });
    this.putTx = db.transaction(
      (s: WorkingMemory, expected: number | undefined, archived: MemoryMessage[] | undefined) =>
        this.putNow(s, expected, archived),
    );
    this.archiveTx = db.transaction((key: SessionKey, update: ArchiveUpdate, limit: number | undefined) =>
      this.archiveNow(key, update, limit),
    );
    this.markTx = db.transaction((key: SessionKey, ids: string[]) => {
      const row = this.atKey(key, Date.now());
      if (!row || ids.length === 0) return 0;
      return this.stmts
        .get(
          `UPDATE session_messages SET discrete_memory_extracted = 't'
           WHERE session_pk = ? AND discrete_memory_extracted != 't' AND id IN (SELECT value FROM json_each(?))`,
        )
        .run(row.pk, JSON.stringify(ids)).changes;
    });
    this.appendTx = db.transaction(
      (key: SessionKey, messages: MemoryMessage[], ttl: number | null | undefined, limit: number | undefined) =>
        this.appendNow(key, messages, ttl, limit),
    );
    this.deleteTx = db.transaction((q: SessionQuery) => this.deleteNow(q));
    this.listTx = db.transaction((where: string, params: unknown[], limit: number, offset: number) => {
      const ids = this.stmts
        .get(`SELECT session_id FROM sessions WHERE ${where} ORDER BY updated_at DESC, pk DESC LIMIT ? OFFSET ?`)
        .all(...params, limit, offset) as { session_id: string }[];
      const { n } = this.stmts.get(`SELECT count(*) AS n FROM sessions WHERE ${where}`).get(...params) as { n: number };
      return { items: ids.map((r) => r.session_id), total: n };
    });
  }

  get(q: SessionQuery, opts: { recentMessagesLimit?: number; touch?: boolean } = {}): StoredSession | null {
    const now = Date.now();
    // Reads run in a deferred transaction for one consistent snapshot; the writes below are separate statements,
    // because upgrading a WAL read transaction to a write can fail without waiting for the lock.
    const { found, session } = this.readTx(q, opts.recentMessagesLimit, now);
    for (const row of found.expired) this.removeIfExpired(row.pk, now);
    if (found.live.length > 1) throw ambiguous(q.session_id, found.live);
    if (session && opts.touch) {
      this.stmts.get('UPDATE sessions SET last_accessed = ? WHERE pk = ?').run(now, found.live[0]!.pk);
      session.last_accessed = iso(now);
    }
    return session;
  }

  put(s: WorkingMemory, expectedVersion?: number, archivedMessages?: MemoryMessage[]): StoredSession {
    return this.putTx.immediate(s, expectedVersion, archivedMessages);
  }

  archive(key: SessionKey, update: ArchiveUpdate, recentMessagesLimit?: number): StoredSession | null {
    return this.archiveTx.immediate(key, update, recentMessagesLimit);
  }

  /** Live and archived messages not yet extracted, oldest first. */
  toExtract(key: SessionKey): MemoryMessage[] {
    // The key is exact (null meaning none), so at most one live session matches.
    const row = this.lookup(key, Date.now()).live[0];
    if (!row) return [];
    const rows = this.stmts
      .get(
        `SELECT ${MESSAGE_COLUMNS} FROM session_messages
         WHERE session_pk = ? AND discrete_memory_extracted = 'f' ORDER BY seq`,
      )
      .all(row.pk) as MessageRow[];
    return rows.map(rowToMessage);
  }

  markExtracted(key: SessionKey, ids: string[]): number {
    return this.markTx.immediate(key, ids);
  }

  append(
    key: SessionKey,
    messages: MemoryMessage[],
    opts: { ttlSeconds?: number | null; recentMessagesLimit?: number } = {},
  ): AppendResult {
    return this.appendTx.immediate(key, messages, opts.ttlSeconds, opts.recentMessagesLimit);
  }

  delete(q: SessionQuery): boolean {
    return this.deleteTx.immediate(q);
  }

  list(filter: { namespace?: string | null; user_id?: string | null }, limit: number, offset: number): Page<string> {
    const now = Date.now();
    this.purgeExpired(now);
    let where = '(expires_at IS NULL OR expires_at > ?)';
    const params: unknown[] = [now];
    if (filter.namespace !== undefined) {
      where += ' AND namespace IS ?';
      params.push(filter.namespace);
    }
    if (filter.user_id !== undefined) {
      where += ' AND user_id IS ?';
      params.push(filter.user_id);
    }
    return this.listTx(where, params, Math.max(0, limit), Math.max(0, offset));
  }

  /** Pages by primary key so no cursor stays open between yields. */
  async *all(): AsyncGenerator<StoredSession> {
    let after = 0;
    for (;;) {
      const rows = this.stmts
        .get('SELECT * FROM sessions WHERE pk > ? AND (expires_at IS NULL OR expires_at > ?) ORDER BY pk LIMIT ?')
        .all(after, Date.now(), EXPORT_PAGE) as SessionRow[];
      for (const row of rows) yield this.load(row, undefined, true);
      if (rows.length < EXPORT_PAGE) return;
      after = rows[rows.length - 1]!.pk;
    }
  }

  private lookup(q: SessionQuery, now: number): Lookup {
    let sql = 'SELECT * FROM sessions WHERE session_id = ?';
    const params: unknown[] = [q.session_id];
    if (q.namespace !== undefined) {
      sql += ' AND namespace IS ?';
      params.push(q.namespace);
    }
    if (q.user_id !== undefined) {
      sql += ' AND user_id IS ?';
      params.push(q.user_id);
    }
    const rows = this.stmts.get(`${sql} ORDER BY pk`).all(...params) as SessionRow[];
    return { live: rows.filter((r) => !isExpired(r, now)), expired: rows.filter((r) => isExpired(r, now)) };
  }

  /** The live session at exactly `key`, deleting an expired one found there. Call inside a write transaction. */
  private atKey(key: SessionKey, now: number): SessionRow | undefined {
    const { live, expired } = this.lookup(key, now);
    for (const row of expired) this.removeIfExpired(row.pk, now);
    return live[0];
  }

  private removeIfExpired(pk: number, now: number): void {
    this.stmts.get('DELETE FROM sessions WHERE pk = ? AND expires_at <= ?').run(pk, now);
  }

  private purgeExpired(now: number): void {
    // Checked first so that listing takes the write lock only when there is something to delete.
    if (this.stmts.get('SELECT 1 FROM sessions WHERE expires_at <= ? LIMIT 1').get(now)) {
      this.stmts.get('DELETE FROM sessions WHERE expires_at <= ?').run(now);
    }
  }

  private load(row: SessionRow, limit?: number, withArchived = false): StoredSession {
    const { n } = this.stmts
      .get(`SELECT count(*) AS n FROM session_messages WHERE session_pk = ? AND ${LIVE}`)
      .get(row.pk) as { n: number };
    const rows = (
      limit === undefined
        ? this.stmts
            .get(`SELECT ${MESSAGE_COLUMNS} FROM session_messages WHERE session_pk = ? AND ${LIVE} ORDER BY seq`)
            .all(row.pk)
        : this.stmts
            .get(
              `SELECT ${MESSAGE_COLUMNS} FROM (
                 SELECT * FROM session_messages WHERE session_pk = ? AND ${LIVE} ORDER BY seq DESC LIMIT ?
               ) ORDER BY seq`,
            )
            .all(row.pk, Math.max(0, limit))
    ) as MessageRow[];
    const session = rowToSession(row, rows.map(rowToMessage), n);
    if (withArchived) {
      const archived = this.stmts
        .get(
          `SELECT ${MESSAGE_COLUMNS} FROM session_messages WHERE session_pk = ? AND archived_at IS NOT NULL ORDER BY seq`,
        )
        .all(row.pk) as MessageRow[];
      if (archived.length) session.archived_messages = archived.map(rowToMessage);
    }
    return session;
  }

  private loadPk(pk: number, limit?: number): StoredSession {
    return this.load(this.stmts.get('SELECT * FROM sessions WHERE pk = ?').get(pk) as SessionRow, limit);
  }

  private lastSeq(pk: number): number {
    return (
      this.stmts.get('SELECT coalesce(max(seq), 0) AS last FROM session_messages WHERE session_pk = ?').get(pk) as {
        last: number;
      }
    ).last;
  }

  /**
   * Inserts after `lastSeq`, skipping ids already in the session (live or archived); returns how many were new.
   * `archivedAt` stores them archived (import of an export).
   */
  private insertMessages(
    pk: number,
    messages: MemoryMessage[],
    lastSeq: number,
    now: number,
    archivedAt: number | null = null,
  ): number {
    const insert = this.stmts.get(
      `INSERT OR IGNORE INTO session_messages (session_pk, seq, ${MESSAGE_COLUMNS}, archived_at)
       VALUES (@session_pk, @seq, @id, @role, @content, @created_at, @persisted_at, @discrete_memory_extracted,
         @archived_at)`,
    );
    let seq = lastSeq;
    let added = 0;
    for (const m of messages) {
      const values = messageValues(m, now);
      const content = this.compress ? packText(values.content) : values.content;
      if (insert.run({ session_pk: pk, seq: seq + 1, ...values, content, archived_at: archivedAt }).changes > 0) {
        seq += 1;
        added += 1;
      }
    }
    return added;
  }

  private putNow(s: WorkingMemory, expected: number | undefined, archived?: MemoryMessage[]): StoredSession {
    const now = Date.now();
    const key = { session_id: s.session_id, namespace: s.namespace ?? null, user_id: s.user_id ?? null };
    const existing = this.atKey(key, now);
    const current = existing?.version ?? 0;
    if (expected !== undefined && expected !== current) {
      throw new MemoryError(
        'conflict',
        `Session "${s.session_id}" is at version ${current}, but version ${expected} was expected; read it again and retry.`,
      );
    }
    const values = { ...sessionValues(s, now), version: current + 1 };
    // Extraction marks are the server's knowledge: a client re-sending a message with 'f' must not undo one,
    // or the next extraction would store the same memories again.
    const extracted = new Set(
      existing
        ? (this.stmts
            .get(`SELECT id FROM session_messages WHERE session_pk = ? AND discrete_memory_extracted = 't'`)
            .pluck()
            .all(existing.pk) as string[])
        : [],
    );
    let pk: number;
    if (existing) {
      pk = existing.pk;
      this.stmts
        .get(
          `UPDATE sessions SET context = @context, data = @data, memories = @memories, tokens = @tokens,
             ttl_seconds = @ttl_seconds, expires_at = @expires_at, long_term_memory_strategy = @long_term_memory_strategy,
             updated_at = @updated_at, last_accessed = @last_accessed, version = @version
           WHERE pk = @pk`,
        )
        .run({ ...values, pk });
      this.stmts.get(`DELETE FROM session_messages WHERE session_pk = ? AND ${LIVE}`).run(pk);
    } else {
      // A new session keeps a valid created_at it was given, so an export re-imports unchanged.
      const created = Date.parse(s.created_at);
      pk = this.insertSession(key, { ...values, created_at: Number.isNaN(created) ? now : created });
    }
    if (archived?.length) this.insertMessages(pk, archived, this.lastSeq(pk), now, now);
    const messages = (s.messages ?? []).map((m) =>
      extracted.has(m.id) ? { ...m, discrete_memory_extracted: 't' as const } : m,
    );
    // After every archived message: their seqs stay taken, and the archive is older than the live messages.
    this.insertMessages(pk, messages, this.lastSeq(pk), now);
    return this.loadPk(pk);
  }

  private archiveNow(key: SessionKey, update: ArchiveUpdate, limit: number | undefined): StoredSession | null {
    const now = Date.now();
    const row = this.atKey(key, now);
    if (!row || row.context !== update.expectedContext) return null;
    const archive = this.stmts.get(
      `UPDATE session_messages SET archived_at = ? WHERE session_pk = ? AND id = ? AND ${LIVE}`,
    );
    for (const id of update.ids) archive.run(now, row.pk, id);
    this.stmts
      .get('UPDATE sessions SET context = ?, version = version + 1, updated_at = ? WHERE pk = ?')
      .run(update.context, now, row.pk);
    return this.loadPk(row.pk, limit);
  }

  private insertSession(
    key: SessionKey,
    values: ReturnType<typeof sessionValues> & { version: number; created_at: number },
  ) {
    return Number(
      this.stmts
        .get(
          `INSERT INTO sessions (session_id, namespace, user_id, context, data, memories, tokens, ttl_seconds, expires_at,
             long_term_memory_strategy, created_at, updated_at, last_accessed, version)
           VALUES (@session_id, @namespace, @user_id, @context, @data, @memories, @tokens, @ttl_seconds, @expires_at,
             @long_term_memory_strategy, @created_at, @updated_at, @last_accessed, @version)`,
        )
        .run({ ...key, ...values }).lastInsertRowid,
    );
  }

  private appendNow(
    key: SessionKey,
    messages: MemoryMessage[],
    ttlSeconds: number | null | undefined,
    limit: number | undefined,
  ): AppendResult {
    const now = Date.now();
    const existing = this.atKey(key, now);
    const pk =
      existing?.pk ??
      this.insertSession(key, {
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
      });
    const appended = this.insertMessages(pk, messages, this.lastSeq(pk), now);
    // An explicit ttl replaces the stored one; otherwise the stored ttl slides forward from this write.
    const ttl = ttlSeconds !== undefined ? ttlSeconds : (existing?.ttl_seconds ?? null);
    this.stmts
      .get(
        `UPDATE sessions SET version = version + 1, updated_at = ?, last_accessed = ?, ttl_seconds = ?, expires_at = ?
         WHERE pk = ?`,
      )
      .run(now, now, ttl, expiresAt(ttl, now), pk);
    return { session: this.loadPk(pk, limit), appended };
  }

  private deleteNow(q: SessionQuery): boolean {
    const now = Date.now();
    const { live, expired } = this.lookup(q, now);
    for (const row of expired) this.removeIfExpired(row.pk, now);
    if (live.length > 1) throw ambiguous(q.session_id, live);
    if (live.length === 0) return false;
    this.stmts.get('DELETE FROM sessions WHERE pk = ?').run(live[0]!.pk);
    return true;
  }
}
