import type { LlmProvider } from '../config.js';

export interface ChatMessage {
  role: 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  system?: string;
  messages: ChatMessage[];
  /** Ask for one JSON object (OpenAI json_object mode; an instruction for Anthropic). */
  json?: boolean;
  maxTokens: number;
  /** What the call is for ("summarize", "extract"...): a label for logs and usage counters. */
  purpose?: string;
}

export interface ChatUsage {
  inputTokens: number;
  outputTokens: number;
}

export interface ChatResult {
  text: string;
  usage: ChatUsage;
}

/** The chat-completion port every provider adapter implements; features depend only on this. */
export interface ChatModel {
  readonly provider: LlmProvider;
  readonly model: string;
  complete(request: ChatRequest): Promise<ChatResult>;
}

/**
 * A failed provider call, already redacted. `retryable` marks the failures worth another try (429, 5xx, timeouts,
 * dropped connections); `retryAfterMs` is the server's hint when it sent one.
 */
export class ChatRequestError extends Error {
  constructor(
    message: string,
    readonly retryable: boolean,
    readonly status?: number,
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'ChatRequestError';
  }
}

/** 408, 409 (lock contention at some gateways), 429 and 5xx are transient; other 4xx will fail the same way again. */
export const isRetryableStatus = (status: number) =>
  status === 408 || status === 409 || status === 429 || status >= 500;

/** Reads `retry-after-ms` or `retry-after` (seconds or an HTTP date) from response headers. */
export function retryAfterMs(headers: { get(name: string): string | null } | undefined): number | undefined {
  if (!headers) return undefined;
  const ms = Number(headers.get('retry-after-ms'));
  if (Number.isFinite(ms) && ms > 0) return ms;
  const raw = headers.get('retry-after');
  if (!raw) return undefined;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(raw);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
