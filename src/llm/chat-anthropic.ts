import type Anthropic from '@anthropic-ai/sdk';
import {
  type ChatMessage,
  type ChatModel,
  type ChatRequest,
  ChatRequestError,
  type ChatResult,
  isRetryableStatus,
  retryAfterMs,
} from './chat-model.js';
import { describeError, redact, withoutCredentials } from './redact.js';
import { type AnthropicModule, loadAnthropic } from './sdk-loader.js';

const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';
// Anthropic has no JSON mode; the instruction plus the caller's lenient parsing does the job.
const JSON_INSTRUCTION = 'Reply with a single JSON object and nothing else: no prose, no code fences.';

export interface AnthropicChatOptions {
  model: string;
  apiKey?: string;
  baseUrl?: string;
  timeoutMs: number;
}

/** Anthropic's Messages API. Retries belong to the caller. */
export class AnthropicChat implements ChatModel {
  readonly provider = 'anthropic' as const;
  readonly model: string;
  private readonly client: Promise<{ sdk: AnthropicModule; client: Anthropic }>;
  private readonly endpoint: string;
  private readonly apiKey: string | undefined;

  constructor(opts: AnthropicChatOptions) {
    this.model = opts.model;
    this.apiKey = opts.apiKey;
    const baseURL = (opts.baseUrl ?? ANTHROPIC_BASE_URL).replace(/\/+$/, '');
    this.endpoint = withoutCredentials(baseURL);
    // The key is passed explicitly so the SDK never falls back to other credentials in the environment.
    this.client = loadAnthropic().then((sdk) => ({
      sdk,
      client: new sdk.default({ apiKey: opts.apiKey ?? 'no-key', baseURL, timeout: opts.timeoutMs, maxRetries: 0 }),
    }));
    // A failed load surfaces on the first request; it must not be an unhandled rejection before that.
    this.client.catch(() => {});
  }

  async complete(req: ChatRequest): Promise<ChatResult> {
    const system = [req.system, req.json ? JSON_INSTRUCTION : undefined].filter(Boolean).join('\n\n');
    let response: Anthropic.Message;
    const { sdk, client } = await this.client;
    try {
      response = await client.messages.create({
        model: this.model,
        max_tokens: req.maxTokens,
        ...(system ? { system } : {}),
        messages: alternate(req.messages),
      });
    } catch (err) {
      throw this.failure(sdk, err);
    }
    const blocks = Array.isArray(response?.content) ? response.content : [];
    const text = blocks.map((b) => (b.type === 'text' ? b.text : '')).join('');
    if (!blocks.some((b) => b.type === 'text')) {
      throw new ChatRequestError(this.message('the response has no text content'), true);
    }
    return {
      text,
      usage: { inputTokens: response.usage?.input_tokens ?? 0, outputTokens: response.usage?.output_tokens ?? 0 },
    };
  }

  private failure(sdk: AnthropicModule, err: unknown): ChatRequestError {
    if (err instanceof sdk.APIError && typeof err.status === 'number') {
      return new ChatRequestError(
        this.message(describeError(err)),
        // 529 "overloaded" is Anthropic's own transient status; it is >= 500 anyway.
        isRetryableStatus(err.status),
        err.status,
        retryAfterMs(err.headers),
      );
    }
    return new ChatRequestError(this.message(describeError(err)), err instanceof sdk.APIConnectionError);
  }

  private message(reason: string): string {
    return `Chat request to ${this.endpoint} (model ${this.model}) failed: ${redact(reason, this.apiKey)}`;
  }
}

/** The Messages API wants user first and strict alternation; consecutive turns of one role are joined. */
function alternate(messages: ChatMessage[]): ChatMessage[] {
  const out: ChatMessage[] = [];
  for (const m of messages) {
    const last = out[out.length - 1];
    if (last && last.role === m.role) last.content = `${last.content}\n\n${m.content}`;
    else out.push({ ...m });
  }
  if (out[0]?.role !== 'user') out.unshift({ role: 'user', content: '(conversation follows)' });
  return out;
}
