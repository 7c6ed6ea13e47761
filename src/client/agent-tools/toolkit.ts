import { z } from 'zod';
import { describeZodIssues } from '../../errors.js';
import type { MemoryClient } from '../client.js';
import { MemoryApiError } from '../errors.js';
import { AGENT_TOOLS, type AgentTool, type AgentToolName } from './definitions.js';

export interface MemoryToolsOptions {
  /** Only these tools (default: all). */
  tools?: readonly AgentToolName[];
  /** Only the tools that read (search_memory, get_long_term_memory, get_current_datetime). */
  readOnly?: boolean;
  /** Scope the tools to this user and/or namespace instead of the client's defaults. */
  userId?: string;
  namespace?: string;
}

/** A tool's answer: what it returned, or an error the model can read and act on (never a crash of the loop). */
export type ToolOutcome = { ok: true; result: unknown } | { ok: false; error: string };

/** JSON Schema of a tool's arguments: what every framework's tool format carries. */
export type JsonSchema = Record<string, unknown> & { type: 'object' };

/** OpenAI Chat Completions `tools[]` entry. */
export interface OpenAITool {
  type: 'function';
  function: { name: string; description: string; parameters: JsonSchema };
}
/** A tool call from an OpenAI assistant message (`message.tool_calls[]`). */
export interface OpenAIToolCall {
  id: string;
  type?: 'function';
  function: { name: string; arguments: string };
}
/** The `role: "tool"` message answering it. */
export interface OpenAIToolMessage {
  role: 'tool';
  tool_call_id: string;
  content: string;
}
/** Anthropic Messages `tools[]` entry. */
export interface AnthropicTool {
  name: string;
  description: string;
  input_schema: JsonSchema;
}
/** A `tool_use` content block of an Anthropic assistant message. */
export interface AnthropicToolUse {
  type: 'tool_use';
  id: string;
  name: string;
  input: unknown;
}
/** The `tool_result` block answering it (inside a user message). */
export interface AnthropicToolResult {
  type: 'tool_result';
  tool_use_id: string;
  content: string;
  is_error?: boolean;
}

const schemaCache = new WeakMap<z.ZodType, JsonSchema>();

/** The arguments' JSON Schema as models see it: the input side (defaults make fields optional). */
export function jsonSchemaOf(tool: AgentTool): JsonSchema {
  let schema = schemaCache.get(tool.schema);
  if (!schema) {
    const { $schema: _dialect, ...rest } = z.toJSONSchema(tool.schema, { io: 'input', unrepresentable: 'any' });
    schema = { ...rest, type: 'object' } as JsonSchema;
    schemaCache.set(tool.schema, schema);
  }
  return schema;
}

export class MemoryToolkit {
  readonly tools: readonly AgentTool[];
  readonly client: MemoryClient;

  constructor(client: MemoryClient, opts: MemoryToolsOptions = {}) {
    this.client =
      opts.userId !== undefined || opts.namespace !== undefined
        ? client.withScope({ userId: opts.userId, namespace: opts.namespace })
        : client;
    const wanted = opts.tools ? new Set<string>(opts.tools) : undefined;
    const unknown = [...(wanted ?? [])].filter((n) => !AGENT_TOOLS.some((t) => t.name === n));
    if (unknown.length) {
      throw new TypeError(`Unknown memory tools: ${unknown.join(', ')}. Known: ${this.names(AGENT_TOOLS)}.`);
    }
    this.tools = AGENT_TOOLS.filter((t) => (!wanted || wanted.has(t.name)) && (!opts.readOnly || t.readOnly));
  }

  /** True when `name` is one of these tools (route other tool calls elsewhere). */
  handles(name: string): boolean {
    return this.tools.some((t) => t.name === name);
  }

  /** Validates and executes one call; a bad argument or a refusal of the server is an error outcome. */
  async run(name: string, args: unknown): Promise<ToolOutcome> {
    const tool = this.tools.find((t) => t.name === name);
    if (!tool) return { ok: false, error: `No memory tool "${name}"; the tools are ${this.names(this.tools)}.` };
    const parsed = tool.schema.safeParse(args ?? {});
    if (!parsed.success) {
      return { ok: false, error: `Invalid arguments for ${name}: ${describeZodIssues(parsed.error.issues)}` };
    }
    try {
      return { ok: true, result: await tool.run(parsed.data, this.client) };
    } catch (err) {
      if (err instanceof MemoryApiError) return { ok: false, error: `${name} failed: ${err.detail}` };
      throw err;
    }
  }

  /** `tools` for OpenAI Chat Completions (and OpenAI-compatible servers). */
  openai(): OpenAITool[] {
    return this.tools.map((t) => ({
      type: 'function',
      function: { name: t.name, description: t.description, parameters: jsonSchemaOf(t) },
    }));
  }

  /** `tools` for the Anthropic Messages API. */
  anthropic(): AnthropicTool[] {
    return this.tools.map((t) => ({ name: t.name, description: t.description, input_schema: jsonSchemaOf(t) }));
  }

  /**
   * Executes a model's tool call and returns the message that answers it, in the same API's format: an OpenAI
   * `tool_calls[]` entry gives a `role: "tool"` message, an Anthropic `tool_use` block a `tool_result` block.
   */
  resolveToolCall(call: OpenAIToolCall): Promise<OpenAIToolMessage>;
  resolveToolCall(call: AnthropicToolUse): Promise<AnthropicToolResult>;
  async resolveToolCall(call: OpenAIToolCall | AnthropicToolUse): Promise<OpenAIToolMessage | AnthropicToolResult> {
    if ('function' in call) {
      let args: unknown;
      let outcome: ToolOutcome;
      try {
        args = call.function.arguments ? JSON.parse(call.function.arguments) : {};
        outcome = await this.run(call.function.name, args);
      } catch (err) {
        if (!(err instanceof SyntaxError)) throw err;
        outcome = { ok: false, error: `The arguments of ${call.function.name} are not valid JSON: ${err.message}` };
      }
      return { role: 'tool', tool_call_id: call.id, content: contentOf(outcome) };
    }
    const outcome = await this.run(call.name, call.input);
    return {
      type: 'tool_result',
      tool_use_id: call.id,
      content: contentOf(outcome),
      ...(outcome.ok ? {} : { is_error: true }),
    };
  }

  private names(tools: readonly AgentTool[]): string {
    return tools.map((t) => t.name).join(', ');
  }
}

/** What a tool message carries: the result as JSON, or `{"error": ...}`. */
export const contentOf = (outcome: ToolOutcome): string =>
  JSON.stringify(outcome.ok ? outcome.result : { error: outcome.error });

/** The memory tools over `client`, ready for OpenAI, Anthropic or any loop that executes tool calls itself. */
export function memoryTools(client: MemoryClient, opts: MemoryToolsOptions = {}): MemoryToolkit {
  return new MemoryToolkit(client, opts);
}
