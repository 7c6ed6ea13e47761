/**
 * `agent-memory mcp` without flags: the stdio server, the start a desktop client waits for. The bin (cli.ts) comes
 * here before loading any other command, and `npm run build` bundles this module with everything it loads but the
 * installed native and optional packages into one file and a few chunks (scripts/bundle-mcp.mjs): fewer modules to
 * resolve and read.
 *
 * A client waits for the replies to initialize and tools/list before it does anything else. The bundle answers
 * those two here, from what its build computed (EARLY), before the server is loaded: compiling and running its
 * modules and opening the store take a few hundred ms. It answers only messages it is sure the SDK takes as they
 * are, as the SDK would, and hands the server every line it read, the initialize included (the server's own reply to
 * that one is not sent again), so the server ends up as if it had read them itself. Every other message, and any
 * it is not sure of, waits for the server. Unbundled (tsc alone), nothing is answered early.
 */
import { PassThrough } from 'node:stream';
import type { EarlyReplies } from './server.js';

/**
 * earlyRepliesJson() of server.ts. tsc leaves it undefined; scripts/bundle-mcp.mjs, bundling this module, computes
 * it from the same build and writes it here, so it is always what the bundled server would answer.
 */
const EARLY = undefined as string | undefined;

/** What the server takes over from the early replies. */
export interface EarlyStart {
  /** Every line read so far, then the rest of stdin. */
  input: NodeJS.ReadableStream;
  /** The initialize answered early, with the reply line sent: in `input` still, its reply not to be sent again. */
  initialize?: { id: string | number; reply: string };
  /** tools/list was answered (the server loads the models at once). */
  listed: boolean;
}

/** A client that sends no tools/list still gets its server this soon. */
const LOAD_AFTER_MS = 250;
/** A longer line waits for the server (whose limit is 16 MiB). */
const MAX_EARLY_LINE = 1024 * 1024;

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
/** What the SDK's AssertObjectSchema takes: any object but null (arrays too). */
const isObjectish = (v: unknown) => typeof v === 'object' && v !== null;
const isString = (v: unknown) => typeof v === 'string';
const isBoolean = (v: unknown) => typeof v === 'boolean';
const optional = (v: unknown, test: (v: unknown) => boolean) => v === undefined || test(v);
const only = (o: Record<string, unknown>, keys: string[]) => Object.keys(o).every((k) => keys.includes(k));
const recordOf = (v: unknown, test: (v: unknown) => boolean) => isObject(v) && Object.values(v).every(test);
const isEmpty = (v: unknown) => isObject(v) && Object.keys(v).length === 0;

/** A request JSONRPCMessageSchema takes (JSONRPCRequestSchema is strict), for `method`, without _meta. */
function isRequest(m: unknown, method: string): m is { id: string | number; params?: unknown } {
  if (!isObject(m) || !only(m, ['jsonrpc', 'id', 'method', 'params'])) return false;
  if (m.jsonrpc !== '2.0' || m.method !== method) return false;
  if (!(typeof m.id === 'string' || Number.isSafeInteger(m.id))) return false;
  return optional(m.params, (p) => isObject(p) && p._meta === undefined);
}

// The checks below accept a subset of what the SDK's schemas take (types.js of @modelcontextprotocol/sdk): what
// they accept, the SDK accepts (test/mcp/early-replies.test.ts); what they refuse goes to the server.

const isClientInfo = (c: unknown) =>
  isObject(c) &&
  isString(c.name) &&
  isString(c.version) &&
  optional(c.title, isString) &&
  optional(c.websiteUrl, isString) &&
  optional(c.description, isString) &&
  c.icons === undefined;

const isCapabilities = (c: unknown) =>
  isObject(c) &&
  optional(c.experimental, (v) => recordOf(v, isObjectish)) &&
  optional(c.sampling, (v) => isObject(v) && optional(v.context, isObjectish) && optional(v.tools, isObjectish)) &&
  optional(
    c.elicitation,
    (v) =>
      isObject(v) &&
      only(v, ['form', 'url']) &&
      optional(v.form, (f) => isObject(f) && only(f, ['applyDefaults']) && optional(f.applyDefaults, isBoolean)) &&
      optional(v.url, isEmpty),
  ) &&
  optional(c.roots, (v) => isObject(v) && optional(v.listChanged, isBoolean)) &&
  optional(
    c.tasks,
    (v) =>
      isObject(v) &&
      optional(v.list, isObjectish) &&
      optional(v.cancel, isObjectish) &&
      optional(
        v.requests,
        (r) =>
          isObject(r) &&
          optional(r.sampling, (s) => isObject(s) && optional(s.createMessage, isObjectish)) &&
          optional(r.elicitation, (e) => isObject(e) && optional(e.create, isObjectish)),
      ),
  ) &&
  optional(c.extensions, (v) => recordOf(v, isObjectish));

const isInitialize = (m: unknown): m is { id: string | number; params: { protocolVersion: string } } =>
  isRequest(m, 'initialize') &&
  isObject(m.params) &&
  isString(m.params.protocolVersion) &&
  isCapabilities(m.params.capabilities) &&
  isClientInfo(m.params.clientInfo);

const isToolsList = (m: unknown): m is { id: string | number } =>
  isRequest(m, 'tools/list') && optional(m.params, (p) => isObject(p) && optional(p.cursor, isString));

const isInitialized = (m: unknown) =>
  isObject(m) &&
  only(m, ['jsonrpc', 'method', 'params']) &&
  m.jsonrpc === '2.0' &&
  m.method === 'notifications/initialized' &&
  optional(m.params, (p) => isObject(p) && p._meta === undefined);

/**
 * What the early replies do with one line (without its newline) while they wait for `expecting`: answer it (the
 * reply line, as the SDK's Protocol writes it), pass it on to the server and go on ('pass': a blank line, the
 * initialized notification), or stop (undefined: every line from this one on waits for the server).
 */
export function earlyReply(
  text: string,
  expecting: 'initialize' | 'tools/list',
  replies: EarlyReplies,
): { id: string | number; reply: string } | 'pass' | undefined {
  if (text.trim() === '') return 'pass';
  let m: unknown;
  try {
    m = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (expecting === 'initialize') {
    if (!isInitialize(m)) return undefined;
    const asked = m.params.protocolVersion;
    const protocolVersion = replies.protocolVersions.includes(asked) ? asked : replies.latestProtocolVersion;
    const result = { protocolVersion, ...replies.initialize };
    return { id: m.id, reply: `${JSON.stringify({ result, jsonrpc: '2.0', id: m.id })}\n` };
  }
  if (isInitialized(m)) return 'pass';
  if (!isToolsList(m)) return undefined;
  // toolsList came from JSON.stringify: it is what JSON.stringify of its parse would write.
  return { id: m.id, reply: `{"result":${replies.toolsList},"jsonrpc":"2.0","id":${JSON.stringify(m.id)}}\n` };
}

/**
 * Reads stdin, answers initialize and then tools/list as long as they come as earlyReply takes them, and resolves
 * with what the server takes over once it is time to load it: after the tools/list reply is written, at the first
 * line that must wait for the server, at the end of stdin, or after LOAD_AFTER_MS.
 */
function answerEarly(replies: EarlyReplies): Promise<EarlyStart> {
  const stdin = process.stdin;
  return new Promise((resolve) => {
    const kept: Buffer[] = [];
    let partial: Buffer[] = [];
    let partialBytes = 0;
    let expecting: 'initialize' | 'tools/list' | undefined = 'initialize';
    let initialize: EarlyStart['initialize'];
    let listed = false;
    let ended = false;
    let done = false;

    const handOver = () => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      stdin.off('data', onData);
      stdin.off('end', onEnd);
      stdin.off('error', onEnd);
      const input = new PassThrough();
      for (const b of [...kept, ...partial]) input.write(b);
      if (ended) input.end();
      else stdin.on('error', (err) => input.destroy(err)).pipe(input);
      resolve({ input, initialize, listed });
    };
    const stop = () => {
      expecting = undefined;
      setImmediate(handOver);
    };
    const line = (raw: Buffer) => {
      if (expecting === undefined) {
        kept.push(raw);
        return;
      }
      const text = raw.toString('utf8', 0, raw.length - 1).replace(/\r$/, '');
      const answer = earlyReply(text, expecting, replies);
      if (answer === undefined) {
        kept.push(raw);
        stop();
      } else if (answer === 'pass') {
        kept.push(raw);
      } else if (expecting === 'initialize') {
        kept.push(raw);
        initialize = answer;
        expecting = 'tools/list';
        process.stdout.write(answer.reply);
      } else {
        listed = true;
        expecting = undefined;
        process.stdout.write(answer.reply, () => setImmediate(handOver));
      }
    };
    const onData = (chunk: Buffer) => {
      if (done) return;
      let start = 0;
      for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
        const piece = chunk.subarray(start, nl + 1);
        line(partial.length ? Buffer.concat([...partial, piece]) : piece);
        partial = [];
        partialBytes = 0;
        start = nl + 1;
      }
      if (start < chunk.length) {
        partial.push(chunk.subarray(start));
        partialBytes += chunk.length - start;
        if (expecting !== undefined && partialBytes > MAX_EARLY_LINE) stop();
      }
    };
    const onEnd = () => {
      ended = true;
      handOver();
    };
    const timer = setTimeout(handOver, LOAD_AFTER_MS);
    stdin.on('data', onData);
    stdin.on('end', onEnd);
    stdin.on('error', onEnd);
  });
}

/** Serves MCP on stdio until the client goes away; a failure to start ends the process as any command's does. */
export async function stdioMain(): Promise<void> {
  const replies = EARLY === undefined ? undefined : (JSON.parse(EARLY) as EarlyReplies);
  const early = replies && (await answerEarly(replies));
  const { startStdio } = await import('./stdio.js');
  await startStdio({ toolsList: replies?.toolsList, early });
}
