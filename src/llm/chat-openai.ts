import type OpenAI from 'openai';
import {
  type ChatModel,
  type ChatRequest,
  ChatRequestError,
  type ChatResult,
  isRetryableStatus,
  retryAfterMs,
} from './chat-model.js';
import { describeError, redact, withoutCredentials } from './redact.js';
import { loadOpenAI, type OpenAIModule } from './sdk-loader.js';

const OPENAI_BASE_URL = 'https://api.openai.com/v1';

export interface OpenAIChatOptions {
  model: string;
  apiKey?: string;
  /** An OpenAI-compatible server (Ollama, vLLM, LM Studio, LiteLLM); OpenAI itself when absent. */
  baseUrl?: string;
  timeoutMs: number;
}

/** Chat completions from OpenAI or any server speaking its wire format. Retries belong to the caller. */
export class OpenAIChat implements ChatModel {
  readonly provider = 'openai' as const;
  readonly model: string;
  private readonly client: Promise<{ sdk: OpenAIModule; client: OpenAI }>;
  private readonly endpoint: string;
  private readonly apiKey: string | undefined;
  private readonly official: boolean;

  constructor(opts: OpenAIChatOptions) {
    this.model = opts.model;
    this.apiKey = opts.apiKey;
    const baseURL = (opts.baseUrl ?? OPENAI_BASE_URL).replace(/\/+$/, '');
    this.official = baseURL === OPENAI_BASE_URL;
    this.endpoint = withoutCredentials(baseURL);
    // maxRetries 0: ResilientChat retries every provider the same way and counts the retries.
    this.client = loadOpenAI().then((sdk) => ({
      sdk,
      client: new sdk.default({ apiKey: opts.apiKey ?? 'no-key', baseURL, timeout: opts.timeoutMs, maxRetries: 0 }),
    }));
    // A failed load surfaces on the first request; it must not be an unhandled rejection before that.
    this.client.catch(() => {});
  }

  async complete(req: ChatRequest): Promise<ChatResult> {
    const messages: OpenAI.Chat.ChatCompletionMessageParam[] = [
      ...(req.system ? [{ role: 'system' as const, content: req.system }] : []),
      ...req.messages.map((m) => ({ role: m.role, content: m.content })),
    ];
    let response: OpenAI.Chat.ChatCompletion;
    const { sdk, client } = await this.client;
    try {
      response = await client.chat.completions.create({
        model: this.model,
        messages,
        // OpenAI's reasoning models refuse max_tokens; compatible servers (Ollama, vLLM...) know only max_tokens.
        ...(this.official ? { max_completion_tokens: req.maxTokens } : { max_tokens: req.maxTokens }),
        ...(req.json ? { response_format: { type: 'json_object' as const } } : {}),
      });
    } catch (err) {
      throw this.failure(sdk, err);
    }
    const text = response?.choices?.[0]?.message?.content;
    if (typeof text !== 'string') {
      throw new ChatRequestError(this.message('the response has no message content'), true);
    }
    return {
      text,
      usage: {
        inputTokens: response.usage?.prompt_tokens ?? 0,
        outputTokens: response.usage?.completion_tokens ?? 0,
      },
    };
  }

  private failure(sdk: OpenAIModule, err: unknown): ChatRequestError {
    if (err instanceof sdk.APIError && typeof err.status === 'number') {
      return new ChatRequestError(
        this.message(describeError(err)),
        isRetryableStatus(err.status),
        err.status,
        retryAfterMs(err.headers),
      );
    }
    // Timeouts and dropped connections: the request may not have reached the model; trying again is safe.
    const transient = err instanceof sdk.APIConnectionError;
    return new ChatRequestError(this.message(describeError(err)), transient);
  }

  private message(reason: string): string {
    return `Chat request to ${this.endpoint} (model ${this.model}) failed: ${redact(reason, this.apiKey)}`;
  }
}
