/**
 * `agent-memory/ai-sdk`: the memory tools for the Vercel AI SDK (`ai`, an optional peer dependency: only this
 * module needs it). Pass the result as `tools` to generateText or streamText.
 */
import { jsonSchema, type Tool, tool } from 'ai';
import { jsonSchemaOf, type MemoryToolsOptions, memoryTools } from './agent-tools/toolkit.js';
import type { MemoryClient } from './client.js';

/** One AI SDK tool per memory tool; a failed call answers `{error}` for the model to read, never a thrown error. */
export function aiSdkMemoryTools(client: MemoryClient, opts: MemoryToolsOptions = {}): Record<string, Tool> {
  const kit = memoryTools(client, opts);
  return Object.fromEntries(
    kit.tools.map((t) => [
      t.name,
      tool({
        description: t.description,
        inputSchema: jsonSchema<Record<string, unknown>>(jsonSchemaOf(t)),
        execute: async (args: Record<string, unknown>) => {
          const outcome = await kit.run(t.name, args);
          return outcome.ok ? outcome.result : { error: outcome.error };
        },
      }),
    ]),
  );
}
