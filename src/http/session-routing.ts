import { Agent, type IncomingHttpHeaders, type IncomingMessage, request, type ServerResponse } from 'node:http';
import { log } from '../util/log.js';

/** Header on a request one worker hands to another: it is never handed on again. */
export const HANDED_ON = 'x-agent-memory-handed-on';

/**
 * The worker holding the MCP session a request names (`agent-memory api --workers N`): a Streamable HTTP session
 * id starts with `w<n>-`, an SSE session's message URL carries `worker=<n>` (mcp-http.ts). Undefined for every
 * other request, which any worker serves.
 */
export function sessionWorker(req: IncomingMessage): number | undefined {
  const id = req.headers['mcp-session-id'];
  const tagged = typeof id === 'string' ? /^w(\d+)-/.exec(id) : null;
  if (tagged) return Number(tagged[1]);
  const url = req.url ?? '';
  const q = url.indexOf('?');
  if (q < 0 || !url.slice(0, q).endsWith('/messages')) return undefined;
  const worker = new URLSearchParams(url.slice(q + 1)).get('worker');
  return worker !== null && /^\d+$/.test(worker) ? Number(worker) : undefined;
}

/** Headers of one connection, not of the request (RFC 9110 §7.6.1): each hop sets its own. */
const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

function endToEnd(headers: IncomingHttpHeaders): IncomingHttpHeaders {
  const out: IncomingHttpHeaders = {};
  for (const [k, v] of Object.entries(headers)) if (!HOP_BY_HOP.has(k)) out[k] = v;
  return out;
}

/** Connections to the other workers, kept open between the requests handed on. */
const toWorkers = new Agent({ keepAlive: true });

const sendDetail = (res: ServerResponse, status: number, message: string) => {
  if (res.headersSent) return res.destroy();
  res.writeHead(status, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify({ detail: message }));
};

/**
 * Streams the request to the worker listening privately on `port` and its answer back, an event stream included;
 * the owner applies the same checks (host, origin, auth) to the same headers. A worker that is gone took its
 * sessions with it: 404, as for any unknown session.
 */
export function handOn(req: IncomingMessage, res: ServerResponse, port: number | undefined): void {
  if (port === undefined) {
    sendDetail(res, 404, 'Unknown MCP session: the server process that held it has stopped; open a new session.');
    req.resume();
    return;
  }
  const out = request(
    {
      host: '127.0.0.1',
      port,
      agent: toWorkers,
      method: req.method,
      path: req.url,
      headers: { ...endToEnd(req.headers), [HANDED_ON]: '1' },
    },
    (answer) => {
      res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
      answer.pipe(res);
      answer.on('error', () => res.destroy());
    },
  );
  out.on('error', (err) => {
    log.warn('handing a request to the worker holding its MCP session failed', { error: err.message });
    sendDetail(res, 404, 'Unknown MCP session: the server process that held it has stopped; open a new session.');
  });
  // The client went away (an event stream closed): so does the request to the owner.
  res.on('close', () => out.destroy());
  req.pipe(out);
}
