/**
 * The OpenAI and Anthropic SDKs, imported on first use. Together they take about half a second to load, which
 * every start would pay (`agent-memory mcp` answers its first tools/list without any model) even when no model
 * is configured.
 */
export type OpenAIModule = typeof import('openai');
export type AnthropicModule = typeof import('@anthropic-ai/sdk');

let openai: Promise<OpenAIModule> | undefined;
let anthropic: Promise<AnthropicModule> | undefined;

export const loadOpenAI = (): Promise<OpenAIModule> => (openai ??= import('openai'));
export const loadAnthropic = (): Promise<AnthropicModule> => (anthropic ??= import('@anthropic-ai/sdk'));
