import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { exportJsonl } from '../../src/cli/backup.js';
import { countMessageTokens } from '../../src/core/tokens.js';
import { tokensOf } from '../../src/core/working-memory.js';
import type { WorkingMemoryResponse } from '../../src/models/working-memory.js';
import { useLlmEngine } from '../helpers/llm-engine.js';
import {
  content,
  FOLD_MARKER,
  messageMarkers,
  REDUCE_MARKER,
  splitFoldCall,
  summarizerResponder,
  summaryMarkers,
} from './fake-summarizer.js';

const WINDOW = 4096;
const BUDGET = 0.7 * WINDOW;
const START = Date.parse('2026-03-01T10:00:00Z');

const t = useLlmEngine('am-summ-', (llm) => {
  llm.responder = summarizerResponder;
});

const open = (env: Record<string, string> = {}) => t.open({ LLM_MAX_RETRIES: '1', ...env });
const withLlm = (env: Record<string, string> = {}) =>
  open({ OPENAI_API_BASE: t.llm.openaiUrl, GENERATION_MODEL: 'local-model', ...env });

const message = (i: number) => ({
  id: `id-${String(i).padStart(4, '0')}`,
  role: i % 2 ? ('assistant' as const) : ('user' as const),
  content: content(i),
  created_at: new Date(START + i * 60_000).toISOString(),
});
const range = (from: number, to: number) => Array.from({ length: to - from + 1 }, (_, k) => message(from + k));
const keptTokens = (r: WorkingMemoryResponse) => r.messages.reduce((n, m) => n + countMessageTokens(m), 0);
const keptMarkers = (r: WorkingMemoryResponse) => r.messages.map((m) => Number(/^m(\d+) /.exec(m.content)![1]));
const foldCalls = () => t.llm.callsWith(FOLD_MARKER).filter((c) => c.system.includes(FOLD_MARKER));

describe('recursive summarization with an OpenAI-compatible endpoint', () => {
  it('keeps a 300-message PUT inside 0.7 × 4096; every message is kept or sent to the summarizer', async () => {
    await withLlm();
    const r = await t.engine.workingMemory.put('s1', { messages: range(1, 300) }, { context_window_max: WINDOW });

    expect(r.summarization).toMatchObject({ status: 'summarized' });
    expect(r.context).toMatch(/^Covered: m1-m\d+$/);
    expect(keptTokens(r)).toBeLessThan(BUDGET);
    expect(r.tokens).toBe(tokensOf(r.messages, r.context));
    expect(r.tokens).toBeLessThan(BUDGET);

    // One fold call (the summarizer's window is 16k): no previous summary, the older messages oldest first.
    const calls = foldCalls();
    expect(calls).toHaveLength(1);
    const { previous, transcript } = splitFoldCall(calls[0]!);
    expect(previous).toBe('(none yet)');
    const sent = messageMarkers(transcript);
    const kept = keptMarkers(r);
    expect(sent).toEqual(range(1, sent.length).map((_, k) => k + 1));
    expect([...sent, ...kept]).toEqual(range(1, 300).map((_, k) => k + 1));
    expect(r.summarization!.summarized_messages).toBe(sent.length);
    // Each transcript line carries its time, so the summary can write absolute dates.
    expect(transcript).toContain('[2026-03-01 10:01 UTC (Sunday)] assistant: m1 ');
    expect(r.total_messages).toBe(kept.length);
  });

  it('50 more appended messages keep it under budget, and the summary chain loses nothing', async () => {
    await withLlm();
    await t.engine.workingMemory.put('s1', { messages: range(1, 300) }, { context_window_max: WINDOW });
    const key = { session_id: 's1', namespace: null, user_id: null };
    let last: WorkingMemoryResponse | undefined;
    for (let i = 301; i <= 350; i++) {
      last = await t.engine.workingMemory.append(key, [message(i)], { context_window_max: WINDOW });
      expect(last.tokens, `after message ${i}`).toBeLessThan(BUDGET);
    }
    const full = await t.engine.workingMemory.get({ session_id: 's1' }, { context_window_max: WINDOW });
    expect(full.tokens).toBeLessThan(BUDGET);
    // More than one summarization happened, each fed the previous summary first.
    const calls = foldCalls();
    expect(calls.length).toBeGreaterThan(1);
    for (const call of calls.slice(1)) expect(splitFoldCall(call).previous).toMatch(/^Covered: m1-/);
    const covered = new Set([...summaryMarkers(full.context!), ...keptMarkers(full)]);
    expect([...covered].sort((a, b) => a - b)).toEqual(range(1, 350).map((_, k) => k + 1));
  });

  it('nothing is lost across five successive summarizations', async () => {
    await withLlm();
    const key = { session_id: 's5', namespace: null, user_id: null };
    let n = 0;
    let summarized = 0;
    while (summarized < 5) {
      const batch = range(n + 1, n + 40);
      n += 40;
      const r = await t.engine.workingMemory.append(key, batch, { context_window_max: 2048 });
      if (r.summarization?.status === 'summarized') summarized++;
      expect(r.tokens).toBeLessThan(0.7 * 2048);
    }
    const s = await t.engine.workingMemory.get({ session_id: 's5' });
    const covered = new Set([...summaryMarkers(s.context!), ...keptMarkers(s)]);
    expect(covered.size).toBe(n);
    expect(foldCalls()).toHaveLength(5);
    // Each fold starts from the summary the one before produced.
    const calls = foldCalls();
    for (let i = 1; i < calls.length; i++) {
      const before = summaryMarkers(splitFoldCall(calls[i]!).previous);
      expect(before.length).toBeGreaterThan(0);
      expect(Math.min(...before)).toBe(1);
    }
  });

  it('concurrent appends to one session each stay in budget, and lose nothing', async () => {
    await withLlm();
    const key = { session_id: 'cc', namespace: null, user_id: null };
    await t.engine.workingMemory.put('cc', { messages: range(1, 150) }, { context_window_max: WINDOW });
    const results = await Promise.all(
      range(151, 200).map((m) => t.engine.workingMemory.append(key, [m], { context_window_max: WINDOW })),
    );
    for (const r of results) expect(r.tokens).toBeLessThan(BUDGET);
    const s = await t.engine.workingMemory.get({ session_id: 'cc' });
    const covered = new Set([...summaryMarkers(s.context!), ...keptMarkers(s)]);
    expect(covered.size).toBe(200);
  });

  it("summarizes in chunks, then the summaries, when the older part overflows the summarizer's own window", async () => {
    await withLlm({ MODEL_CONTEXT_WINDOWS: '{"local-model": 1500}' });
    await t.engine.workingMemory.put(
      'c',
      { context: 'Covered: m0', messages: range(1, 300) },
      { context_window_max: WINDOW },
    );
    // Chunks are summarized concurrently; in chunk order, they cover the older part contiguously, oldest first.
    const calls = foldCalls().sort((a, b) => Math.min(...messageMarkers(a.user)) - Math.min(...messageMarkers(b.user)));
    expect(calls.length).toBeGreaterThan(2);
    // The previous summary goes with the first chunk only.
    expect(splitFoldCall(calls[0]!).previous).toBe('Covered: m0');
    for (const c of calls.slice(1)) expect(splitFoldCall(c).previous).toMatch(/^\(none: these messages continue/);
    const sent = calls.flatMap((c) => messageMarkers(splitFoldCall(c).transcript));
    expect(sent).toEqual(range(1, sent.length).map((_, k) => k + 1));
    // Then the chunk summaries are summarized, oldest part first.
    const reduce = t.llm.calls.filter((c) => c.system.includes(REDUCE_MARKER));
    expect(reduce.length).toBeGreaterThan(0);
    expect(reduce[0]!.user).toMatch(/^Part 1 of \d+ \(oldest\):\nCovered: m0-m/);
    const s = await t.engine.workingMemory.get({ session_id: 'c' });
    expect(new Set([...summaryMarkers(s.context!), ...keptMarkers(s)]).size).toBe(301);
    for (const c of t.llm.calls) expect(c.maxTokens).toBeLessThanOrEqual(1500);
  });

  it('splits a message larger than the summarizer window instead of dropping it', async () => {
    await withLlm({ MODEL_CONTEXT_WINDOWS: '{"local-model": 1200}', MAX_TEXT_BYTES: '65536' });
    const huge = { ...message(1), content: `m1 ${'lorem ipsum dolor sit amet '.repeat(400)}` };
    const r = await t.engine.workingMemory.put(
      'h',
      { messages: [huge, ...range(2, 40)] },
      { context_window_max: 2048 },
    );
    expect(r.summarization?.status).toBe('summarized');
    const transcripts = foldCalls().map((c) => splitFoldCall(c).transcript);
    const pieces = transcripts.filter((t) => t.includes('lorem ipsum'));
    expect(pieces.length).toBeGreaterThan(1);
    const words = pieces.join(' ').match(/lorem/g)!.length;
    expect(words).toBe(400);
  });

  it('reports a failed summarization and trims nothing; the next write tries again', async () => {
    await withLlm();
    t.llm.responder = () => ({ status: 500, message: 'model crashed' });
    const r = await t.engine.workingMemory.put('f', { messages: range(1, 300) }, { context_window_max: WINDOW });
    expect(r.summarization).toMatchObject({ status: 'failed' });
    expect(r.summarization!.reason).toMatch(/500|model crashed/);
    expect(r.total_messages).toBe(300);
    t.llm.responder = summarizerResponder;
    const again = await t.engine.workingMemory.append(
      { session_id: 'f', namespace: null, user_id: null },
      [message(301)],
      { context_window_max: WINDOW },
    );
    expect(again.summarization?.status).toBe('summarized');
    expect(again.tokens).toBeLessThan(BUDGET);
  });

  it('works the same with an Anthropic model', async () => {
    await open({
      ANTHROPIC_API_KEY: 'sk-ant-test',
      ANTHROPIC_API_BASE: t.llm.anthropicUrl,
      GENERATION_MODEL: 'claude-test',
    });
    const r = await t.engine.workingMemory.put('a', { messages: range(1, 300) }, { context_window_max: WINDOW });
    expect(r.summarization?.status).toBe('summarized');
    expect(r.tokens).toBeLessThan(BUDGET);
    expect(t.llm.calls.map((c) => `${c.api}/${c.model}`)).toEqual(['anthropic/claude-test']);
  });

  it('leaves the session alone without a window, and below the threshold', async () => {
    await withLlm();
    const r = await t.engine.workingMemory.put('w', { messages: range(1, 300) });
    expect(r.summarization).toBeUndefined();
    expect(r.total_messages).toBe(300);
    const small = await t.engine.workingMemory.put('w2', { messages: range(1, 5) }, { context_window_max: WINDOW });
    expect(small.summarization).toBeUndefined();
    expect(t.llm.calls).toHaveLength(0);
  });

  it('uses the model table and MODEL_CONTEXT_WINDOWS for model_name', async () => {
    await withLlm({ MODEL_CONTEXT_WINDOWS: '{"my-small-model": 4096}' });
    const r = await t.engine.workingMemory.put('m', { messages: range(1, 300) }, { model_name: 'my-small-model' });
    expect(r.summarization?.status).toBe('summarized');
    expect(r.tokens).toBeLessThan(BUDGET);
    expect(r.context_percentage_total_used).toBeLessThan(70);
    const big = await t.engine.workingMemory.put('m2', { messages: range(1, 300) }, { model_name: 'gpt-4o' });
    expect(big.summarization).toBeUndefined();
  });
});

describe('without an LLM', () => {
  it('the same 300-message session keeps the window and says summarization is unavailable', async () => {
    await open();
    const r = await t.engine.workingMemory.put('s1', { messages: range(1, 300) }, { context_window_max: WINDOW });
    expect(r.summarization).toMatchObject({ status: 'unavailable', trimmed_messages: 300 - r.messages.length });
    expect(r.summarization!.reason).toMatch(/summarization is unavailable: no LLM configured.*OPENAI_API_KEY/);
    expect(r.context).toBeNull();
    expect(keptTokens(r)).toBeLessThanOrEqual(0.4 * WINDOW);
    expect(keptMarkers(r).at(-1)).toBe(300);

    // 50 more, one by one: still inside the window.
    for (let i = 301; i <= 350; i++) {
      const a = await t.engine.workingMemory.append(
        { session_id: 's1', namespace: null, user_id: null },
        [message(i)],
        {
          context_window_max: WINDOW,
        },
      );
      expect(a.tokens).toBeLessThan(BUDGET);
    }

    // Trimmed messages stay exportable, in order, after the session's live ones are gone from it.
    const file = join(t.dir, 'export.jsonl');
    await exportJsonl(t.engine, file);
    const session = readFileSync(file, 'utf8')
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l))
      .find((l) => l.kind === 'session');
    const all = [...session.archived_messages, ...session.messages].map((m: { id: string }) => m.id);
    expect(all).toEqual(range(1, 350).map((m) => m.id));
  });

  it('says so when summarization is disabled, and trims nothing', async () => {
    await open({ ENABLE_WORKING_MEMORY_SUMMARIZATION: 'false' });
    const r = await t.engine.workingMemory.put('d', { messages: range(1, 300) }, { context_window_max: WINDOW });
    expect(r.summarization).toMatchObject({ status: 'disabled' });
    expect(r.total_messages).toBe(300);
  });
});
