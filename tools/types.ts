import type { ToolAnnotations } from '@modelcontextprotocol/sdk/types.js';
import type { z } from 'zod';
import type { AccessScope } from '../src/auth/identity.js';
import type { MemoryEngine } from '../src/core/engine.js';

export interface ToolContext {
  /** The engine, already confined to `scope` when the caller has one (HTTP with auth). */
  engine: MemoryEngine;
  /** Who is calling over HTTP with auth; absent on stdio and with AUTH_MODE=disabled. */
  scope?: AccessScope;
  /** DEFAULT_MCP_NAMESPACE / DEFAULT_MCP_USER_ID, or a namespace from the URL; used when a call names none. */
  defaults: { namespace?: string; user_id?: string };
  /** Reports progress to clients that asked for it (a no-op otherwise). */
  progress: (done: number, total: number, message?: string) => Promise<void>;
}

/** One MCP tool: the transports register these unchanged, so stdio and HTTP serve the same thing. */
export interface MemoryTool<I extends z.ZodRawShape = z.ZodRawShape, O extends z.ZodRawShape = z.ZodRawShape> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations: ToolAnnotations;
  run(args: z.output<z.ZodObject<I>>, ctx: ToolContext): Promise<z.output<z.ZodObject<O>>>;
}

export const defineTool = <I extends z.ZodRawShape, O extends z.ZodRawShape>(tool: MemoryTool<I, O>) => tool;
