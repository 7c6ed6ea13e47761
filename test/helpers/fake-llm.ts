/**
 * Local LLM servers speaking the OpenAI (chat completions, embeddings) and Anthropic (messages) wire formats, on
 * 127.0.0.1 with a port chosen by the OS. Tests drive them through the real `openai` and `@anthropic-ai/sdk`
 * clients with scripted replies: text, HTTP errors (429, 5xx, 401), malformed JSON and requests that never answer.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

export interface ChatCall {
  /** 'openai' or 'anthropic': which endpoint was hit. */
  api: 'openai' | 'anthropic';
  model: string;
  system: string;
  /** Non-system messages as sent. */
  messages: { role: string; content: string }[];
  /** The last user message: where the prompts put their data. */
  user: string;
  json: boolean;
  /** Names of the tools the request offered (both APIs). */
  toolNames: string[];
  maxTokens: number | undefined;
  headers: IncomingMessage['headers'];
  body: Record<string, unknown>;
}

/** A tool the scripted reply calls, with its arguments. */
export interface ScriptedToolCall {
  name: string;
  arguments: Record<string, unknown>;
}

/** A scripted answer: text to return, tool calls, an HTTP error, or no answer at all (the client must time out). */
export type Reply =
  | string
  | { toolCalls: ScriptedToolCall[] }
  | { status: number; message?: string; headers?: Record<string, string> }
  | { hang: true }
  | { delayMs: number; text: string };
export type Responder = (call: ChatCall) => Reply;

export class FakeLlm {
  readonly calls: ChatCall[] = [];
  readonly embeddingInputs: string[][] = [];
  /** Replies used in order; when empty, `responder` answers. */
  readonly script: Reply[] = [];
  responder: Responder = () => 'ok';
  /** Vector for a text on /v1/embeddings; a fixed-length hash by default. */
  embed: (text: string) => number[] = hashVector;
  inFlight = 0;
  maxInFlight = 0;
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  port = 0;

  get openaiUrl(): string {
    return `http://127.0.0.1:${this.port}/v1`;
  }

  get anthropicUrl(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  /** Calls whose system prompt contains `marker`. */
  callsWith(marker: string): ChatCall[] {
    return this.calls.filter((c) => c.system.includes(marker) || c.user.includes(marker));
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => this.handle(req, res));
    this.server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((resolve) => this.server!.listen(0, '127.0.0.1', resolve));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise((resolve) => this.server?.close(resolve));
  }

  reset(): void {
    this.calls.length = 0;
    this.embeddingInputs.length = 0;
    this.script.length = 0;
    this.responder = () => 'ok';
    this.embed = hashVector;
    this.maxInFlight = 0;
  }

  private handle(req: IncomingMessage, res: ServerResponse): void {
    let raw = '';
    req.on('data', (c) => {
      raw += c;
    });
    req.on('end', () => {
      const body = raw ? (JSON.parse(raw) as Record<string, unknown>) : {};
      const path = req.url ?? '';
      if (req.method === 'POST' && path === '/v1/embeddings') return this.embeddings(body, res);
      if (req.method === 'POST' && path === '/v1/chat/completions') return this.chat('openai', body, req, res);
      if (req.method === 'POST' && path.startsWith('/v1/messages')) return this.chat('anthropic', body, req, res);
      res.writeHead(404, { 'content-type': 'application/json' }).end('{"error":{"message":"not found"}}');
    });
  }

  private embeddings(body: Record<string, unknown>, res: ServerResponse): void {
    const input = (Array.isArray(body.input) ? body.input : [body.input]) as string[];
    this.embeddingInputs.push(input);
    const data = input.map((text, index) => ({ object: 'embedding', index, embedding: this.embed(text) }));
    json(res, 200, { object: 'list', data, model: body.model, usage: { prompt_tokens: 1, total_tokens: 1 } });
  }

  private chat(api: 'openai' | 'anthropic', body: Record<string, unknown>, req: IncomingMessage, res: ServerResponse) {
    const all = (body.messages ?? []) as { role: string; content: unknown }[];
    // Tool results count as text too (Anthropic puts them in blocks of user messages), so a test can read them.
    const text = (c: unknown): string =>
      typeof c === 'string'
        ? c
        : Array.isArray(c)
          ? c.map((b: { type?: string; text?: string; content?: unknown }) => b.text ?? text(b.content)).join('')
          : '';
    const system =
      api === 'openai'
        ? all
            .filter((m) => m.role === 'system')
            .map((m) => text(m.content))
            .join('\n')
        : text(body.system);
    const messages = all.filter((m) => m.role !== 'system').map((m) => ({ role: m.role, content: text(m.content) }));
    const call: ChatCall = {
      api,
      model: String(body.model),
      system,
      messages,
      user: [...messages].reverse().find((m) => m.role === 'user')?.content ?? '',
      json:
        api === 'openai' ? (body.response_format as { type?: string })?.type === 'json_object' : /JSON/.test(system),
      toolNames: ((body.tools ?? []) as { name?: string; function?: { name?: string } }[]).map(
        (t) => t.function?.name ?? t.name ?? '',
      ),
      maxTokens: (body.max_tokens ?? body.max_completion_tokens) as number | undefined,
      headers: req.headers,
      body,
    };
    this.calls.push(call);
    const reply = this.script.length ? this.script.shift()! : this.responder(call);
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const done = () => {
      this.inFlight--;
    };
    if (typeof reply === 'object' && 'hang' in reply) {
      res.on('close', done);
      return;
    }
    if (typeof reply === 'object' && 'status' in reply) {
      done();
      const message = reply.message ?? `scripted ${reply.status}`;
      const error =
        api === 'openai'
          ? { error: { message, type: 'server_error', code: null } }
          : { type: 'error', error: { type: reply.status === 429 ? 'rate_limit_error' : 'api_error', message } };
      return json(res, reply.status, error, { 'retry-after-ms': '1', ...reply.headers });
    }
    if (typeof reply === 'object' && 'toolCalls' in reply) {
      done();
      return this.toolCallReply(api, call, reply.toolCalls, res);
    }
    const [delay, content] = typeof reply === 'string' ? [0, reply] : [reply.delayMs, reply.text];
    setTimeout(() => {
      done();
      const usage = { input: Math.ceil((system.length + call.user.length) / 4), output: Math.ceil(content.length / 4) };
      if (api === 'openai') {
        json(res, 200, {
          id: `chatcmpl-${this.calls.length}`,
          object: 'chat.completion',
          created: Math.floor(Date.now() / 1000),
          model: call.model,
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: {
            prompt_tokens: usage.input,
            completion_tokens: usage.output,
            total_tokens: usage.input + usage.output,
          },
        });
      } else {
        json(res, 200, {
          id: `msg_${this.calls.length}`,
          type: 'message',
          role: 'assistant',
          model: call.model,
          content: [{ type: 'text', text: content }],
          stop_reason: 'end_turn',
          stop_sequence: null,
          usage: { input_tokens: usage.input, output_tokens: usage.output },
        });
      }
    }, delay);
  }

  private toolCallReply(
    api: 'openai' | 'anthropic',
    call: ChatCall,
    calls: ScriptedToolCall[],
    res: ServerResponse,
  ): void {
    const n = this.calls.length;
    if (api === 'openai') {
      const tool_calls = calls.map((c, i) => ({
        id: `call_${n}_${i}`,
        type: 'function',
        function: { name: c.name, arguments: JSON.stringify(c.arguments) },
      }));
      json(res, 200, {
        id: `chatcmpl-${n}`,
        object: 'chat.completion',
        created: Math.floor(Date.now() / 1000),
        model: call.model,
        choices: [{ index: 0, message: { role: 'assistant', content: null, tool_calls }, finish_reason: 'tool_calls' }],
        usage: { prompt_tokens: 1, completion_tokens: 1, total_tokens: 2 },
      });
      return;
    }
    json(res, 200, {
      id: `msg_${n}`,
      type: 'message',
      role: 'assistant',
      model: call.model,
      content: calls.map((c, i) => ({ type: 'tool_use', id: `toolu_${n}_${i}`, name: c.name, input: c.arguments })),
      stop_reason: 'tool_use',
      stop_sequence: null,
      usage: { input_tokens: 1, output_tokens: 1 },
    });
  }
}

function json(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

/** A deterministic 8-dimensional unit vector per text. */
export function hashVector(text: string): number[] {
  const v = new Array(8).fill(0);
  for (let i = 0; i < text.length; i++) v[i % 8] += text.charCodeAt(i);
  const n = Math.sqrt(v.reduce((a, b) => a + b * b, 0)) || 1;
  return v.map((x) => x / n);
}

export async function startFakeLlm(): Promise<FakeLlm> {
  return new FakeLlm().start();
}
