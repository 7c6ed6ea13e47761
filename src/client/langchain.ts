/**
 * `agent-memory/langchain`: the memory tools as LangChain.js tools (`@langchain/core`, an optional peer
 * dependency: only this module needs it). Bind them to a chat model with `model.bindTools(tools)`.
 */
import { type StructuredToolInterface, tool } from '@langchain/core/tools';
import { contentOf, jsonSchemaOf, type MemoryToolsOptions, memoryTools } from './agent-tools/toolkit.js';
import type { MemoryClient } from './client.js';

/** One LangChain tool per memory tool; each answers JSON (or `{"error": ...}` for the model to read). */
export function langchainMemoryTools(client: MemoryClient, opts: MemoryToolsOptions = {}): StructuredToolInterface[] {
  const kit = memoryTools(client, opts);
  return kit.tools.map(
    (t) =>
      tool(async (args: unknown) => contentOf(await kit.run(t.name, args)), {
        name: t.name,
        description: t.description,
        schema: jsonSchemaOf(t),
      }) as unknown as StructuredToolInterface,
  );
}
