import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { type JSONRPCMessage, JSONRPCMessageSchema } from '@modelcontextprotocol/sdk/types.js';
import { log } from '../util/log.js';

/** Larger frames are refused whole, so one runaway client cannot exhaust the server's memory. */
const MAX_LINE_BYTES = 16 * 1024 * 1024;

/**
 * MCP over stdin/stdout, one JSON-RPC message per line, like the SDK's stdio transport, except that a line that
 * is not JSON gets the JSON-RPC answer -32700 (parse error) and JSON that is not a JSON-RPC message gets -32600
 * (invalid request), instead of no answer at all; a client then learns what it sent wrong.
 */
export class LineStdioTransport implements Transport {
  onclose?: () => void;
  onerror?: (error: Error) => void;
  onmessage?: (message: JSONRPCMessage) => void;
  /**
   * While set, called with a request's method once its reply has been written (serveStdio starts loading the models
   * after the first tools/list reply). Requests are tracked only while it is set.
   */
  onanswered?: (method: string) => void;
  private readonly asked = new Map<string | number, string>();
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  private skipping = false;
  private closed = false;

  /**
   * `answered`: a request in `input` that was answered already (stdio-main.ts answers initialize before the server
   * is loaded): the reply to it is not written again.
   */
  constructor(
    private readonly input: NodeJS.ReadableStream = process.stdin,
    private readonly output: NodeJS.WritableStream = process.stdout,
    private answered?: { id: string | number; reply: string },
  ) {}

  private readonly onData = (chunk: Buffer) => {
    let start = 0;
    for (let nl = chunk.indexOf(10); nl !== -1; nl = chunk.indexOf(10, start)) {
      this.take(chunk.subarray(start, nl));
      this.line();
      start = nl + 1;
    }
    if (start < chunk.length) this.take(chunk.subarray(start));
  };

  private take(part: Buffer): void {
    if (this.skipping) return;
    this.pendingBytes += part.length;
    if (this.pendingBytes > MAX_LINE_BYTES) {
      this.pending = [];
      this.skipping = true;
      return;
    }
    this.pending.push(part);
  }

  private line(): void {
    if (this.skipping) {
      this.skipping = false;
      this.pendingBytes = 0;
      this.reply(null, -32600, `Invalid request: a message is larger than ${MAX_LINE_BYTES} bytes`);
      return;
    }
    const text = Buffer.concat(this.pending).toString('utf8').replace(/\r$/, '');
    this.pending = [];
    this.pendingBytes = 0;
    if (text.trim() === '') return;
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      this.reply(null, -32700, `Parse error: ${err instanceof Error ? err.message : String(err)}`);
      return;
    }
    const parsed = JSONRPCMessageSchema.safeParse(json);
    if (!parsed.success) {
      const id = (json as { id?: unknown } | null)?.id;
      this.reply(
        typeof id === 'string' || typeof id === 'number' ? id : null,
        -32600,
        'Invalid request: expected a JSON-RPC 2.0 message ({"jsonrpc": "2.0", "method": ..., "id": ...})',
      );
      return;
    }
    const message = parsed.data;
    if (this.onanswered && 'method' in message && 'id' in message) this.asked.set(message.id, message.method);
    this.onmessage?.(message);
  }

  private reply(id: string | number | null, code: number, message: string): void {
    this.write(`${JSON.stringify({ jsonrpc: '2.0', id, error: { code, message } })}\n`).catch(() => {});
  }

  private readonly onError = (err: Error) => this.onerror?.(err);

  async start(): Promise<void> {
    this.input.on('data', this.onData);
    this.input.on('error', this.onError);
  }

  private write(text: string): Promise<void> {
    return new Promise((resolve) => {
      if (this.output.write(text)) resolve();
      else this.output.once('drain', resolve);
    });
  }

  async send(message: JSONRPCMessage): Promise<void> {
    const line = `${JSON.stringify(message)}\n`;
    if (this.answered && 'id' in message && !('method' in message) && message.id === this.answered.id) {
      const { reply } = this.answered;
      this.answered = undefined;
      this.asked.delete(message.id);
      if (line !== reply) log.warn("the reply sent early differs from the server's", { sent: reply, server: line });
      return;
    }
    if (!this.onanswered) {
      this.asked.clear();
      return this.write(line);
    }
    const id = 'id' in message && !('method' in message) ? message.id : undefined;
    const method = id === undefined ? undefined : this.asked.get(id);
    if (id !== undefined) this.asked.delete(id);
    await this.write(line);
    if (method !== undefined) this.onanswered?.(method);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.input.off('data', this.onData);
    this.input.off('error', this.onError);
    if (this.input.listenerCount('data') === 0) this.input.pause();
    this.onclose?.();
  }
}
