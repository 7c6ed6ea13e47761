import type { LlmConfig, LlmProvider } from '../config.js';
import { AnthropicChat } from './chat-anthropic.js';
import type { ChatModel } from './chat-model.js';
import { OpenAIChat } from './chat-openai.js';
import { ResilientChat, Semaphore } from './resilient-chat.js';

/** The configured chat models, or why there are none: every LLM feature checks `available` and degrades. */
export interface ChatModels {
  /** Summaries, extraction, merges. */
  generation: ChatModel | null;
  /** Topics and entities, query rewriting; the generation model when the fast one cannot be used. */
  fast: ChatModel | null;
  /** Set when `generation` is null: what to configure. */
  unavailableReason?: string;
}

function missingCredentials(provider: LlmProvider, config: LlmConfig): string | undefined {
  if (provider === 'openai') {
    return config.openai.apiKey || config.openai.baseUrl
      ? undefined
      : 'no OPENAI_API_KEY (OpenAI) or OPENAI_API_BASE (an OpenAI-compatible server)';
  }
  // A local Anthropic-compatible proxy may need no key.
  return config.anthropic.apiKey || config.anthropic.baseUrl ? undefined : 'no ANTHROPIC_API_KEY';
}

/** Builds the models from the configuration; needs no network, so it never fails for lack of a server. */
export function makeChatModels(config: LlmConfig): ChatModels {
  const limiter = new Semaphore(config.concurrency);
  const build = (provider: LlmProvider, model: string): ChatModel => {
    const inner =
      provider === 'anthropic'
        ? new AnthropicChat({ model, ...config.anthropic, timeoutMs: config.timeoutMs })
        : new OpenAIChat({ model, ...config.openai, timeoutMs: config.timeoutMs });
    return new ResilientChat(inner, { maxRetries: config.maxRetries, limiter });
  };
  const genMissing = missingCredentials(config.generation.provider, config);
  const fastMissing = missingCredentials(config.fast.provider, config);
  const generation = genMissing ? null : build(config.generation.provider, config.generation.model);
  const fast = fastMissing ? generation : build(config.fast.provider, config.fast.model);
  return {
    generation,
    fast,
    unavailableReason: generation
      ? undefined
      : `no LLM configured: GENERATION_MODEL=${config.generation.model} (${config.generation.provider}) has ${genMissing}`,
  };
}
