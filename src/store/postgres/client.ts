import pg from 'pg';
import { MemoryError } from '../../errors.js';
import { log } from '../../util/log.js';
import { redactDatabaseUrl } from './url.js';

/** What every repository needs: run a statement on the pool or inside the caller's transaction. */
export interface Sql {
  rows<R>(text: string, params?: unknown[]): Promise<R[]>;
  one<R>(text: string, params?: unknown[]): Promise<R | undefined>;
  /** Rows changed (or returned). */
  run(text: string, params?: unknown[]): Promise<number>;
}

/** pg hands back int8 and numeric as strings; every such value here (counts, epoch ms, row ids) fits a double. */
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') => {
    if (oid === pg.types.builtins.INT8 || oid === pg.types.builtins.NUMERIC) return (v: string) => Number(v);
    return pg.types.getTypeParser(oid, format);
  }) as typeof pg.types.getTypeParser,
};

export interface ConnectionOptions {
  url: string;
  /** Tables live in this schema (created when missing) instead of the first one on the search path. */
  schema?: string;
  poolSize?: number;
  connectTimeoutMs?: number;
}

export const clientConfig = (opts: ConnectionOptions): pg.ClientConfig => ({
  connectionString: opts.url,
  types: TYPES,
  connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
  application_name: 'agent-memory',
});

/** The schema as a quoted identifier, or null for the search path's first schema. */
export const quotedSchema = (schema: string | undefined): string | null =>
  schema === undefined ? null : `"${schema.replaceAll('"', '""')}"`;

/** SQLSTATEs after which the whole transaction can simply run again. */
const RETRYABLE = new Set(['40001', '40P01']);

/** Thrown inside a transaction to run it again from the start (a concurrent writer won a race). */
export class RetryTransaction extends Error {
  constructor(why: string) {
    super(why);
    this.name = 'RetryTransaction';
  }
}

const codeOf = (err: unknown): string | undefined => {
  const code = (err as { code?: unknown })?.code;
  return typeof code === 'string' ? code : undefined;
};

const isServerError = (err: unknown): err is pg.DatabaseError => err instanceof pg.DatabaseError;

/** Whether the connection cannot be trusted after this error (lost, or the server is shutting it down). */
const breaksConnection = (err: unknown) => !isServerError(err) || /^(08|57P)/.test(err.code ?? '');
const asError = (err: unknown) => (err instanceof Error ? err : new Error(String(err)));

const MAX_ATTEMPTS = 8;

/** Spreads the retries of writers that collided, so they do not collide again at once. */
const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * attempt));

class ClientSql implements Sql {
  constructor(readonly client: pg.PoolClient | pg.Client) {}

  async rows<R>(text: string, params?: unknown[]): Promise<R[]> {
    return (await this.client.query(text, params)).rows as R[];
  }

  async one<R>(text: string, params?: unknown[]): Promise<R | undefined> {
    return (await this.client.query(text, params)).rows[0] as R | undefined;
  }

  async run(text: string, params?: unknown[]): Promise<number> {
    return (await this.client.query(text, params)).rowCount ?? 0;
  }
}

/**
 * The connection pool. Each connection is prepared once (search path, pgvector settings) before its first
 * statement, through `session`, so no statement can ever run against another schema's tables.
 */
export class Db implements Sql {
  private readonly prepared = new WeakSet<pg.PoolClient>();
  readonly pool: pg.Pool;
  readonly redactedUrl: string;

  constructor(
    readonly opts: ConnectionOptions,
    /** Statements run once on every new connection. */
    readonly sessionStatements: string[],
  ) {
    this.redactedUrl = redactDatabaseUrl(opts.url);
    this.pool = new pg.Pool({ ...clientConfig(opts), max: opts.poolSize ?? 10, idleTimeoutMillis: 30_000 });
    // An idle connection the server dropped (restart, failover) must not crash the process; the pool replaces it.
    this.pool.on('error', (err) => log.warn('PostgreSQL connection lost', { error: err.message }));
  }

  private async connect(): Promise<pg.PoolClient> {
    const client = await this.pool.connect();
    if (this.prepared.has(client)) return client;
    try {
      for (const statement of this.sessionStatements) await client.query(statement);
    } catch (err) {
      client.release(err instanceof Error ? err : true);
      throw err;
    }
    this.prepared.add(client);
    return client;
  }

  /** One statement on its own (autocommit): atomic, so after a deadlock it simply runs again. */
  private async withClient<T>(fn: (c: ClientSql) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect();
      let broken: Error | undefined;
      try {
        return await fn(new ClientSql(client));
      } catch (err) {
        if (breaksConnection(err)) broken = asError(err);
        if (broken || !RETRYABLE.has(codeOf(err) ?? '') || attempt >= MAX_ATTEMPTS) throw err;
      } finally {
        client.release(broken);
      }
      await backoff(attempt);
    }
  }

  rows<R>(text: string, params?: unknown[]): Promise<R[]> {
    return this.withClient((c) => c.rows<R>(text, params));
  }

  one<R>(text: string, params?: unknown[]): Promise<R | undefined> {
    return this.withClient((c) => c.one<R>(text, params));
  }

  run(text: string, params?: unknown[]): Promise<number> {
    return this.withClient((c) => c.run(text, params));
  }

  /**
   * Runs `fn` in one READ COMMITTED transaction on one connection, again from the start after a deadlock, a
   * serialization failure or a RetryTransaction. `fn` must use only the Sql it is given (a pool of one connection
   * would otherwise wait on itself) and keep its side effects in the database.
   */
  async tx<T>(fn: (t: Sql) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      const client = await this.connect();
      const sql = new ClientSql(client);
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await fn(sql);
        await client.query('COMMIT');
        return result;
      } catch (err) {
        if (breaksConnection(err) && !(err instanceof RetryTransaction) && !(err instanceof MemoryError)) {
          broken = asError(err);
        } else {
          try {
            await client.query('ROLLBACK');
          } catch (rollbackErr) {
            broken = asError(rollbackErr);
          }
        }
        const again = err instanceof RetryTransaction || RETRYABLE.has(codeOf(err) ?? '');
        if (!again || attempt >= MAX_ATTEMPTS || broken) throw err;
      } finally {
        client.release(broken);
      }
      await backoff(attempt);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}

/** 22P05 from JSON text holding \u0000, 22021 from a text parameter holding a NUL byte. */
const isNul = (code: string, err: pg.DatabaseError) =>
  (code === '22P05' && /\\u0000/.test(`${err.detail ?? ''} ${err.message}`)) ||
  (code === '22021' && /0x00\b/.test(err.message));

/** Class 22 (data exception) and 54000 (a value too large for an index or a tsvector): the caller's input. */
const isBadInput = (code: string) => code.startsWith('22') || code === '54000';

/**
 * Class 08 (connection), 28 (authentication), 53 (resources), 57P (shutdown, not accepting connections), 3D000 (no
 * such database), 25006 (a read-only standby): the server, or the way to it, is what needs fixing. Class 40
 * (deadlock, serialization) is left after every retry of a transaction: the caller may try again later.
 */
const isOutage = (code: string) =>
  ['08', '28', '40', '53', '57P'].some((c) => code.startsWith(c)) || code === '3D000' || code === '25006';

/**
 * The store's answer for an error: bad input the database refused is MemoryError('invalid') (HTTP 400), a server
 * that cannot be reached or will not take writes is MemoryError('unavailable') (503) naming it without the password.
 * Anything else is a bug and passes through unchanged.
 */
export function asStoreError(err: unknown, redactedUrl: string): unknown {
  if (err instanceof MemoryError) return err;
  const code = codeOf(err) ?? '';
  const message = err instanceof Error ? err.message : String(err);
  if (isServerError(err)) {
    if (isNul(code, err)) {
      return new MemoryError(
        'invalid',
        'PostgreSQL cannot store the NUL character (U+0000) in text; remove it from the text, id, tags or message and send again.',
      );
    }
    if (isBadInput(code)) return new MemoryError('invalid', `PostgreSQL refused a value: ${message}`);
    if (!isOutage(code)) return err;
  } else if (!(err instanceof Error) || !isConnectionFailure(err)) {
    return err;
  }
  return new MemoryError('unavailable', `PostgreSQL at ${redactedUrl} is unavailable: ${message}`);
}

const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH']);

function isConnectionFailure(err: Error): boolean {
  return (
    NETWORK_CODES.has(codeOf(err) ?? '') ||
    /Connection terminated|connection timeout|timeout exceeded when trying to connect|Client has encountered a connection error|Connection ended/i.test(
      err.message,
    )
  );
}

/** A plain connection outside the pool (start-up checks, and the lock a re-embed holds while it runs). */
export async function connectClient(opts: ConnectionOptions): Promise<{ client: pg.Client; sql: Sql }> {
  const client = new pg.Client(clientConfig(opts));
  // Errors after connecting are reported by the failing query; without a listener they would crash the process.
  client.on('error', () => {});
  try {
    await client.connect();
  } catch (err) {
    await client.end().catch(() => {});
    throw asStoreError(err, redactDatabaseUrl(opts.url));
  }
  return { client, sql: new ClientSql(client) };
}
