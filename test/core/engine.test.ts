import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Engine, openEngine } from '../../src/core/engine.js';
import { MEMORIES_HEADER, SUMMARY_HEADER } from '../../src/core/memory-prompt.js';
import { MemoryError } from '../../src/errors.js';

let dir: string;
let engine: Engine;

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'am-engine-'));
  engine = await openEngine(loadConfig({ SQLITE_PATH: join(dir, 'm.db'), LOG_LEVEL: 'silent' }));
});
afterEach(async () => {
  await engine.close();
  rmSync(dir, { recursive: true, force: true });
});

const facts = [
  'Alice is allergic to peanuts',
  'The team offsite is in Lisbon in June 2026',
  'Bob plays the cello in a community orchestra',
  'Alice prefers aisle seats on long flights',
];

describe('long-term memory through the engine', () => {
  it('finds the answering memory first in every mode', async () => {
    await engine.longTerm.create(facts.map((text) => ({ text, namespace: 'n' })));
    for (const search_mode of ['hybrid', 'keyword', 'semantic'] as const) {
      const r = await engine.longTerm.search({ text: 'which instrument does Bob play?', namespace: 'n', search_mode });
      expect(r.memories[0]!.text, search_mode).toContain('cello');
      expect(r.memories[0]!.score_type).toBe(search_mode);
    }
  });

  it('never returns another namespace, even when its own has no match', async () => {
    await engine.longTerm.create([{ text: 'Bob plays the cello', namespace: 'a' }]);
    await engine.longTerm.create([{ text: 'Carol grows tomatoes', namespace: 'b' }]);
    const r = await engine.longTerm.search({ text: 'cello', namespace: 'b' });
    expect(r.memories.every((m) => m.namespace === 'b')).toBe(true);
    const kw = await engine.longTerm.search({ text: 'cello', namespace: 'b', search_mode: 'keyword' });
    expect(kw.memories).toEqual([]);
    expect(kw.total).toBe(0);
  });

  it('pages without overlap and reports next_offset', async () => {
    await engine.longTerm.create(
      Array.from({ length: 25 }, (_, i) => ({ text: `note ${i} about gardening`, namespace: 'p' })),
    );
    const first = await engine.longTerm.search({
      text: 'gardening',
      namespace: 'p',
      limit: 10,
      search_mode: 'keyword',
    });
    const second = await engine.longTerm.search({
      text: 'gardening',
      namespace: 'p',
      limit: 10,
      offset: 10,
      search_mode: 'keyword',
    });
    expect(first.total).toBe(25);
    expect(first.next_offset).toBe(10);
    const ids = new Set([...first.memories, ...second.memories].map((m) => m.id));
    expect(ids.size).toBe(20);
    const listed = await engine.longTerm.search({ text: '', namespace: 'p', limit: 10, offset: 20 });
    expect(listed.memories).toHaveLength(5);
    expect(listed.next_offset).toBeNull();
  });

  it('dedups by hash, overwrites by id, and counts access', async () => {
    const a = await engine.longTerm.create([{ text: 'Alice likes tea', namespace: 'n' }]);
    const b = await engine.longTerm.create([{ text: 'Alice likes tea', namespace: 'n' }]);
    expect(b.outcomes[0]!.status).toBe('duplicate');
    expect(b.memories[0]!.id).toBe(a.memories[0]!.id);
    const id = a.memories[0]!.id;
    await engine.longTerm.create([{ id, text: 'Alice likes green tea', namespace: 'n' }]);
    expect((await engine.longTerm.get(id)).text).toBe('Alice likes green tea');
    await engine.longTerm.search({ text: 'green tea', namespace: 'n' });
    expect((await engine.longTerm.get(id)).access_count).toBe(1);
  });

  it('re-indexes an edited text', async () => {
    const { memories } = await engine.longTerm.create([{ text: 'Dana lives in Oslo', namespace: 'n' }]);
    await engine.longTerm.edit(memories[0]!.id, { text: 'Dana lives in Berlin' });
    const oslo = await engine.longTerm.search({ text: 'Oslo', namespace: 'n', search_mode: 'keyword' });
    const berlin = await engine.longTerm.search({ text: 'Berlin', namespace: 'n', search_mode: 'keyword' });
    expect(oslo.memories).toHaveLength(0);
    expect(berlin.memories[0]!.id).toBe(memories[0]!.id);
  });

  it('writes nothing when one item of a batch is bad', async () => {
    await expect(
      engine.longTerm.create([
        { text: 'good one', namespace: 'z' },
        { text: '' },
        { text: 'good two', namespace: 'z' },
      ]),
    ).rejects.toThrow(/memories\[1\]/);
    expect((await engine.longTerm.list({ namespace: { eq: 'z' } }, 10, 0)).total).toBe(0);
  });
});

describe('memory prompt', () => {
  it('puts summary, the newest messages that fit, memories with ids, then the query', async () => {
    const { memories } = await engine.longTerm.create([{ text: 'Alice is allergic to peanuts', namespace: 'n' }]);
    const messages = Array.from({ length: 40 }, (_, i) => ({
      role: i % 2 ? 'assistant' : 'user',
      content: `message number ${i} ${'filler '.repeat(20)}`,
    }));
    await engine.workingMemory.put('s1', { namespace: 'n', messages, context: 'They planned a dinner.' });
    const out = await engine.memoryPrompt({
      query: 'Can Alice eat satay?',
      session: { session_id: 's1', namespace: 'n', context_window_max: 800 },
      long_term_search: { namespace: { eq: 'n' }, limit: 3 },
    });
    const texts = out.messages.map((m) => m.content.text);
    expect(texts[0]!.startsWith(SUMMARY_HEADER)).toBe(true);
    expect(out.messages.at(-1)).toEqual({ role: 'user', content: { type: 'text', text: 'Can Alice eat satay?' } });
    const memoryBlock = texts.at(-2)!;
    expect(memoryBlock.startsWith(MEMORIES_HEADER)).toBe(true);
    expect(memoryBlock).toContain(`(ID: ${memories[0]!.id})`);
    expect(out.trimmed_messages).toBeGreaterThan(0);
    const kept = texts.slice(1, -2);
    expect(kept.at(-1)).toContain('message number 39');
    expect(kept.length + out.trimmed_messages).toBe(40);
  });
});

describe('working memory', () => {
  it('conflicts on a stale version and on an ambiguous id', async () => {
    const v1 = await engine.workingMemory.put('s', { namespace: 'a', messages: [{ role: 'user', content: 'hi' }] });
    expect(v1.version).toBe(1);
    await expect(engine.workingMemory.put('s', { namespace: 'a', version: 0 })).rejects.toThrow(MemoryError);
    await engine.workingMemory.put('s', { namespace: 'b' });
    await expect(engine.workingMemory.get({ session_id: 's' })).rejects.toThrow(/namespace/);
    expect((await engine.workingMemory.get({ session_id: 's', namespace: 'a' })).messages).toHaveLength(1);
  });

  it('reports context percentages only when a window is known', async () => {
    await engine.workingMemory.put('w', { messages: [{ role: 'user', content: 'hello there' }] });
    expect((await engine.workingMemory.get({ session_id: 'w' })).context_percentage_total_used).toBeNull();
    const r = await engine.workingMemory.get({ session_id: 'w' }, { context_window_max: 100 });
    expect(r.context_percentage_total_used).toBeGreaterThan(0);
    expect(r.context_percentage_until_summarization).toBeGreaterThan(r.context_percentage_total_used!);
  });
});

describe('neighbour context', () => {
  it('finds an answer whose own words miss the query through its neighbours in the session', async () => {
    const turns = [
      'Mel: what did you make in class yesterday?',
      'Ann: a clay bowl with a blue glaze',
      'Mel: lovely, my kids want to try too',
      'Ann: they should, it is very calming',
    ];
    // Split over two calls: the second call must also lend words back to the tail of the first.
    await engine.longTerm.create(
      turns.slice(0, 1).map((text) => ({ text, namespace: 'c', session_id: 's1', memory_type: 'message' as const })),
    );
    await engine.longTerm.create(
      turns.slice(1).map((text) => ({ text, namespace: 'c', session_id: 's1', memory_type: 'message' as const })),
    );
    await engine.longTerm.create([
      { text: 'Zed: a glaze of ice covered the road', namespace: 'c', session_id: 's2', memory_type: 'message' },
    ]);
    const r = await engine.longTerm.search({
      text: 'What did Ann make in class?',
      namespace: 'c',
      search_mode: 'keyword',
    });
    expect(r.memories.slice(0, 3).map((m) => m.text)).toContain('Ann: a clay bowl with a blue glaze');
    const back = await engine.longTerm.search({ text: 'clay bowl', namespace: 'c', search_mode: 'keyword' });
    // The first turn gained the words of the turn written after it, in a later call.
    expect(back.memories.map((m) => m.text)).toContain('Mel: what did you make in class yesterday?');
    expect(back.memories[0]!.text).toBe('Ann: a clay bowl with a blue glaze');
  });
});

describe('review fixes', () => {
  it('pages past the first thousand matches', async () => {
    await engine.longTerm.create(
      Array.from({ length: 1060 }, (_, i) => ({ text: `ledger entry ${i}`, namespace: 'big' })),
      { deduplicate: false },
    );
    const page = await engine.longTerm.search({
      text: 'ledger entry',
      namespace: 'big',
      search_mode: 'keyword',
      limit: 20,
      offset: 1040,
    });
    expect(page.total).toBe(1060);
    expect(page.memories).toHaveLength(20);
    expect(page.next_offset).toBeNull();
  });

  it("never lends one user's words to another user's memories in a shared session", async () => {
    await engine.longTerm.create([
      { text: 'Ann: my parrot talks', namespace: 'c', session_id: 's', user_id: 'ann', memory_type: 'message' },
    ]);
    await engine.longTerm.create([
      { text: 'Bo: nice weather', namespace: 'c', session_id: 's', user_id: 'bo', memory_type: 'message' },
    ]);
    const r = await engine.longTerm.search({ text: 'parrot', namespace: 'c', user_id: 'bo', search_mode: 'keyword' });
    expect(r.memories).toEqual([]);
  });

  it('answers an edit the stored record cannot take with a MemoryError, not a crash', async () => {
    const { memories } = await engine.longTerm.create([{ text: 'Eve likes tea', namespace: 'n' }]);
    await expect(engine.longTerm.edit(memories[0]!.id, { topics: ['a,b'] as never })).rejects.toBeInstanceOf(
      MemoryError,
    );
  });
});
