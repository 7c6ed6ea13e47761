import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { makeAuthenticator } from '../auth/authenticator.js';
import { TokenStore } from '../auth/token-store.js';
import type { Config, HttpConfig } from '../config.js';
import type { Engine } from '../core/engine.js';
import { MemoryError } from '../errors.js';
import { log } from '../util/log.js';
import { createHttpApp, type HttpApp } from './app.js';
import { isLoopbackAddress } from './guards.js';
import { HANDED_ON, handOn, sessionWorker } from './session-routing.js';

/** One worker of `agent-memory api --workers N` (workers.ts). */
export interface WorkerRole {
  index: number;
  /** The private port of another worker, once it is known (undefined when it has stopped). */
  portOf: (index: number) => number | undefined;
}

export interface RunningServer {
  /** The URL the server answers on (with the real port when 0 was asked). */
  url: string;
  port: number;
  http: HttpApp;
  tokens?: TokenStore;
  /** A worker's loopback port that other workers hand its MCP sessions' requests to. */
  privatePort?: number;
  /** Stops accepting, closes MCP sessions, waits for in-flight requests (up to `drainMs`), then closes the engine. */
  close(drainMs?: number): Promise<void>;
}

/** The token table lives in the store's SQLite file; the memory backend gets an in-process one. */
export const openTokenStore = (config: Config) =>
  new TokenStore(config.backend === 'memory' ? ':memory:' : config.sqlitePath, config.busyTimeoutMs);

/** Refuses to expose memories without auth on a network address unless the operator insisted. */
export function checkBindSafety(config: HttpConfig, insecureNoAuth: boolean): void {
  if (config.auth.mode === 'disabled' && !isLoopbackAddress(config.host) && !insecureNoAuth) {
    throw new MemoryError(
      'invalid',
      `Refusing to listen on ${config.host} with AUTH_MODE=disabled: anyone on the network could read and change ` +
        'every memory. Set AUTH_MODE=token (then: agent-memory token add ...) or oauth2, bind 127.0.0.1, or pass ' +
        '--insecure-no-auth if this network is trusted.',
    );
  }
}

function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host}:${port}`;
  if (err.code === 'EADDRINUSE')
    return new MemoryError('unavailable', `${where} is already in use; choose another port with --port or PORT.`);
  if (err.code === 'EACCES')
    return new MemoryError('unavailable', `No permission to listen on ${where}; use a port above 1024.`);
  if (err.code === 'EADDRNOTAVAIL' || err.code === 'ENOTFOUND') {
    return new MemoryError('invalid', `Cannot listen on ${host}: no such address on this machine (--host / API_HOST).`);
  }
  return err;
}

const urlHost = (host: string) => (host.includes(':') && !host.startsWith('[') ? `[${host}]` : host);

/** Starts the HTTP server; `engine` is owned by it from here on (closed on shutdown). */
export async function startHttpServer(
  engine: Engine,
  config: HttpConfig,
  opts: { insecureNoAuth?: boolean; tokens?: TokenStore; worker?: WorkerRole } = {},
): Promise<RunningServer> {
  checkBindSafety(config, opts.insecureNoAuth ?? false);
  const ownTokens = config.auth.mode === 'token' && !opts.tokens;
  const tokens = ownTokens ? openTokenStore(engine.config) : opts.tokens;
  const worker = opts.worker;
  const http = createHttpApp(engine, config, makeAuthenticator(config.auth, tokens), {
    ...(worker ? { worker: worker.index } : {}),
  });
  const listener = getRequestListener(http.app.fetch);
  // A worker hands a request for another worker's MCP session to that worker; everything else it serves itself.
  const nodeServer: Server = createServer((req, res) => {
    const owner = worker && !req.headers[HANDED_ON] ? sessionWorker(req) : undefined;
    if (owner !== undefined && owner !== worker!.index) handOn(req, res, worker!.portOf(owner));
    else void listener(req, res);
  });
  const privateServer = worker ? createServer((req, res) => void listener(req, res)) : undefined;
  const listen = (s: Server, port: number, host: string, exclusive: boolean) =>
    new Promise<void>((resolve, reject) => {
      s.once('error', (err: NodeJS.ErrnoException) => reject(listenError(err, host, port)));
      // exclusive: a cluster worker's own port, not one shared through the primary.
      s.listen({ port, host, exclusive }, () => resolve());
    });
  try {
    await listen(nodeServer, config.port, config.host, false);
    if (privateServer) await listen(privateServer, 0, '127.0.0.1', true);
  } catch (err) {
    nodeServer.close();
    privateServer?.close();
    await http.close();
    if (ownTokens) tokens?.close();
    await engine.close();
    throw err;
  }
  // Slow-loris protection for request heads and bodies; long-lived responses (SSE) are not affected.
  for (const s of [nodeServer, privateServer]) {
    if (!s) continue;
    s.headersTimeout = 20_000;
    s.requestTimeout = config.requestTimeoutMs + 10_000;
  }
  // Responses in flight per connection: on shutdown, connections without one are closed at once, the others as
  // soon as their response is done (Node's own idle tracking misses some keep-alive sockets).
  const inFlight = new Map<import('node:net').Socket, number>();
  nodeServer.on('connection', (socket) => {
    inFlight.set(socket, 0);
    socket.once('close', () => inFlight.delete(socket));
  });
  nodeServer.on('request', (req, res) => {
    const socket = req.socket;
    inFlight.set(socket, (inFlight.get(socket) ?? 0) + 1);
    res.once('close', () => {
      const left = (inFlight.get(socket) ?? 1) - 1;
      inFlight.set(socket, left);
      if (left === 0 && !nodeServer.listening) socket.destroySoon();
    });
  });
  const closeIdle = () => {
    for (const [socket, n] of inFlight) if (n === 0) socket.destroySoon();
  };
  const port = (nodeServer.address() as AddressInfo).port;
  const url = `http://${urlHost(config.host === '0.0.0.0' || config.host === '::' ? '127.0.0.1' : config.host)}:${port}`;

  let closing: Promise<void> | undefined;
  const close = (drainMs = 10_000) => {
    closing ??= (async () => {
      const stopped = Promise.all(
        [nodeServer, privateServer].map(
          (s) => new Promise<void>((resolve) => (s ? s.close(() => resolve()) : resolve())),
        ),
      );
      privateServer?.closeIdleConnections();
      await http.close();
      closeIdle();
      const timer = setTimeout(() => {
        log.warn('shutdown: closing connections still open after the drain period', { drainMs });
        nodeServer.closeAllConnections();
        privateServer?.closeAllConnections();
      }, drainMs);
      await stopped;
      clearTimeout(timer);
      if (ownTokens) tokens?.close();
      await engine.close();
    })();
    return closing;
  };
  const privatePort = privateServer ? (privateServer.address() as AddressInfo).port : undefined;
  return { url, port, http, tokens, close, ...(privatePort === undefined ? {} : { privatePort }) };
}
