/**
 * PGlite served over the PostgreSQL wire protocol on a loopback port, to any number of connections.
 *
 * PGlite is one backend with one session, so connections must take turns, and a turn has to last from a
 * connection's first message until the backend is idle again: to the end of its transaction, and, outside one, to
 * the Sync that closes an extended-protocol batch (Parse/Bind/Describe/Execute/Sync), since the unnamed statement
 * and portal live in the session until then. @electric-sql/pglite-socket 0.2.17 keeps a connection's turn only
 * inside a transaction and so lets two pools' batches interleave ("unnamed prepared statement does not exist"), and
 * one failed message stops its queue for good (electric-sql/pglite#1046); with several processes on one database
 * that happened within seconds. This server keeps whole turns and never stops serving the others.
 */
import { createServer, type Socket } from 'node:net';
import type { PGlite } from '@electric-sql/pglite';

const SSL_REQUEST = 80877103;
const GSS_REQUEST = 80877104;
const CANCEL_REQUEST = 80877102;
const QUERY = 0x51;
const SYNC = 0x53;
const TERMINATE = 0x58;

/** A simple-protocol Query message. */
function query(sql: string): Uint8Array {
  const text = Buffer.from(`${sql}\0`);
  const out = Buffer.alloc(5 + text.length);
  out[0] = QUERY;
  out.writeInt32BE(4 + text.length, 1);
  text.copy(out, 5);
  return new Uint8Array(out);
}

/** Ends an unfinished extended-protocol batch, and its implicit transaction. */
const SYNC_MESSAGE = Uint8Array.of(SYNC, 0, 0, 0, 4);

interface Message {
  bytes: Uint8Array;
  /** The backend answers it with ReadyForQuery (startup, Query, Sync): where a turn may end. */
  answered: boolean;
  terminate: boolean;
}

class Connection {
  /** Complete messages not yet run, oldest first. */
  readonly pending: Message[] = [];
  private buffer = Buffer.alloc(0);
  /** Until the startup message, messages have no type byte. */
  started = false;
  closed = false;

  constructor(readonly socket: Socket) {}

  /** Splits what arrived into whole messages; answers the pre-startup requests that never reach the backend. */
  receive(chunk: Buffer): void {
    this.buffer = Buffer.concat([this.buffer, chunk]);
    for (;;) {
      const header = this.started ? 5 : 4;
      if (this.buffer.length < header) return;
      const length = this.started ? this.buffer.readInt32BE(1) + 1 : this.buffer.readInt32BE(0);
      if (this.buffer.length < length) return;
      const message = this.buffer.subarray(0, length);
      this.buffer = this.buffer.subarray(length);
      if (this.started) {
        const type = message[0]!;
        this.pending.push({
          bytes: new Uint8Array(message),
          answered: type === QUERY || type === SYNC,
          terminate: type === TERMINATE,
        });
        continue;
      }
      const code = message.length >= 8 ? message.readInt32BE(4) : 0;
      // No TLS or GSS here: 'N' tells the client to go on in plain text.
      if (code === SSL_REQUEST || code === GSS_REQUEST) this.socket.write('N');
      else if (code === CANCEL_REQUEST) this.socket.end();
      else {
        this.started = true;
        this.pending.push({ bytes: new Uint8Array(message), answered: true, terminate: false });
      }
    }
  }
}

export interface WireServer {
  /** host:port */
  address: string;
  stop(): Promise<void>;
}

/** Serves `db` on 127.0.0.1 at a free port; resolves once it listens. */
export async function serveWire(db: PGlite): Promise<WireServer> {
  const connections = new Set<Connection>();
  /** Connections with messages waiting for a turn, in arrival order. */
  const queue: Connection[] = [];
  let owner: Connection | null = null;
  let pumping = false;

  const enqueue = (c: Connection) => {
    if (c !== owner && !queue.includes(c)) queue.push(c);
  };

  /** Ends the turn of a connection that left: its open transaction and unfinished batch must not bind the next. */
  const abandon = async (c: Connection) => {
    c.closed = true;
    c.pending.length = 0;
    connections.delete(c);
    const i = queue.indexOf(c);
    if (i >= 0) queue.splice(i, 1);
    if (owner !== c) return;
    // execProtocolRaw, not db.exec: exec waits for the lock runExclusive holds. Queued on that lock behind any
    // message of c's still running, and ahead of the next turn's first one.
    await db.runExclusive(async () => {
      await db.execProtocolRaw(SYNC_MESSAGE);
      if (db.isInTransaction()) await db.execProtocolRaw(query('ROLLBACK'));
    });
    if (owner === c) owner = null;
  };

  const runNext = async (c: Connection) => {
    const message = c.pending.shift()!;
    if (message.terminate) {
      c.socket.end();
      await abandon(c);
      return;
    }
    let reply: Uint8Array;
    try {
      reply = await db.runExclusive(() => db.execProtocolRaw(message.bytes));
    } catch {
      // PGlite itself failed on this message: drop this connection, keep serving the others.
      c.socket.destroy();
      await abandon(c).catch(() => {});
      return;
    }
    if (reply.length > 0 && !c.closed) c.socket.write(reply);
    if (owner === c && message.answered && !db.isInTransaction()) owner = null;
  };

  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      for (;;) {
        // Mid-turn, waiting for the owner's next message (its transaction or batch goes on), or for its clean-up
        // when it went away (abandon runs pump again).
        if (owner && owner.pending.length === 0) return;
        if (!owner) {
          const next = queue.shift();
          if (!next) return;
          owner = next;
        }
        const c = owner;
        await runNext(c);
        // Its turn is over, and it has sent more already (pipelined): it waits behind those that waited longer.
        if (owner !== c && c.pending.length > 0) enqueue(c);
      }
    } finally {
      pumping = false;
    }
  };

  const server = createServer((socket) => {
    socket.setNoDelay(true);
    const c = new Connection(socket);
    connections.add(c);
    socket.on('data', (chunk: Buffer) => {
      c.receive(chunk);
      if (c.pending.length > 0) enqueue(c);
      void pump();
    });
    const gone = () => {
      if (c.closed) return;
      void abandon(c).then(pump, () => {});
    };
    socket.on('close', gone);
    socket.on('error', gone);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address() as { port: number };
  return {
    address: `127.0.0.1:${port}`,
    stop: () =>
      new Promise<void>((resolve) => {
        for (const c of connections) c.socket.destroy();
        server.close(() => resolve());
      }),
  };
}
