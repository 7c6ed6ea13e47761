/**
 * The LLM features end to end: the built CLI as a child process (MCP over stdio, `agent-memory compact`), talking
 * to the local fake OpenAI-compatible server through OPENAI_API_BASE, on a real SQLite file.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type FakeLlm, startFakeLlm } from '../helpers/fake-llm.js';
import { cleanup, connectMcp, makeTempStore, runCli } from '../helpers/spawn.js';
import { content, summarizerResponder } from '../summarization/fake-summarizer.js';

let llm: FakeLlm;
beforeAll(async () => {
  llm = await startFakeLlm();
});
afterAll(() => llm.close());
afterEach(async () => {
  await cleanup();
  llm.reset();
});

const messages = (n: number) =>
  Array.from({ length: n }, (_, i) => ({
    id: `e${i + 1}`,
    role: i % 2 ? 'assistant' : 'user',
    content: content(i + 1),
    created_at: new Date(Date.parse('2026-03-01T10:00:00Z') + i * 60_000).toISOString(),
  }));

describe('LLM features through the CLI', () => {
  it('set_working_memory with context_window_max summarizes through the configured endpoint', async () => {
    llm.responder = summarizerResponder;
    const store = makeTempStore();
    const mcp = await connectMcp(store.env({ OPENAI_API_BASE: llm.openaiUrl, GENERATION_MODEL: 'local-model' }));
    const r = await mcp.ok<{ context: string; tokens: number; summarization: { status: string } }>(
      'set_working_memory',
      { session_id: 's', messages: messages(300), context_window_max: 4096 },
    );
    expect(r.summarization.status).toBe('summarized');
    expect(r.context).toMatch(/^Covered: m1-m/);
    expect(r.tokens).toBeLessThan(0.7 * 4096);
    const appended = await mcp.ok<{ total_messages: number }>('append_messages', {
      session_id: 's',
      messages: messages(330).slice(300),
      context_window_max: 4096,
    });
    expect(appended.total_messages).toBeLessThan(330);
  });

  it('without a key the same call works and says summarization is unavailable', async () => {
    const store = makeTempStore();
    const mcp = await connectMcp(store.env());
    const r = await mcp.ok<{ context: string | null; summarization: { status: string; trimmed_messages: number } }>(
      'set_working_memory',
      { session_id: 's', messages: messages(300), context_window_max: 4096 },
    );
    expect(r.summarization).toMatchObject({ status: 'unavailable' });
    expect(r.summarization.trimmed_messages).toBeGreaterThan(0);
    expect(r.context).toBeNull();
    const compacted = await mcp.ok<{ semantic: string }>('compact_long_term_memories', {});
    expect(compacted.semantic).toBe('skipped');
    // The trimmed messages are still in the export.
    await mcp.close();
    const exported = await runCli(['export'], store.env());
    const session = exported.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((l) => l.kind === 'session');
    expect(session.archived_messages.length + session.messages.length).toBe(300);
  });

  it('agent-memory compact removes duplicates and reports as JSON', async () => {
    const store = makeTempStore();
    const mcp = await connectMcp(store.env());
    await mcp.ok('create_long_term_memories', {
      memories: [
        { text: 'Alice likes tea', namespace: 'n' },
        { text: 'Alice likes tea', namespace: 'n' },
      ],
      deduplicate: false,
    });
    await mcp.close();
    const r = await runCli(['compact', '--namespace', 'n', '--json'], store.env());
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toMatchObject({ scanned: 2, duplicates_removed: 1, semantic: 'skipped' });
    const text = await runCli(['compact'], store.env());
    expect(text.stdout).toMatch(/scanned 1 memories: removed 0 duplicates/);
    expect(text.stdout).toMatch(/near-duplicates not merged: no LLM/);
  });
});
