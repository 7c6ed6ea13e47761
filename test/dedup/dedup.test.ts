import { describe, expect, it } from 'vitest';
import { cohesiveGroup } from '../../src/core/dedup.js';
import { cosineDistance } from '../../src/util/cosine.js';
import compactTool from '../../tools/compact-long-term-memories.js';
import type { ChatCall } from '../helpers/fake-llm.js';
import { fakeModelEnv, useLlmEngine } from '../helpers/llm-engine.js';

const PEANUTS = 'Alice is allergic to peanuts';
const PARAPHRASE = 'Alice has a peanut allergy';
/** Close to the paraphrase, far from the first: the bridge that would chain unrelated memories together. */
const BRIDGE = 'Alice carries an EpiPen for her allergy';
const UNRELATED = 'Bob plays the cello';

const at = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180), 0, 0];
/** Scripted embeddings: PEANUTS at 0°, PARAPHRASE at 25°, BRIDGE at 60° (cosine distances 0.09, 0.18, 0.5). */
function embed(text: string): number[] {
  if (text.includes('allergic to peanuts')) return at(0);
  if (text.includes('peanut allergy')) return at(25);
  if (text.includes('EpiPen')) return at(60);
  if (text.includes('cello')) return [0, 0, 1, 0];
  return [0, 0, 0, 1];
}

const t = useLlmEngine('am-dedup-', (llm) => {
  llm.embed = embed;
});

const mergeCalls = () => t.llm.calls.filter((c) => c.system.includes('You decide whether stored memories'));
/** A merge model that always says "same": only the cohesion guard stands between it and a mega-memory. */
function alwaysSame(call: ChatCall): string {
  if (!call.system.includes('You decide whether stored memories')) return '{"topics": [], "entities": []}';
  const texts = [...call.user.matchAll(/^- \([^)]*\) (.*)$/gm)].map((m) => m[1]);
  return JSON.stringify({ same: true, text: texts.join(' / '), topics: ['health'], entities: ['Alice'] });
}

const open = (env: Record<string, string> = {}) =>
  t.open({
    ...fakeModelEnv(t.llm),
    ...env,
  });
const texts = async () => (await t.engine.longTerm.list({}, 100, 0)).memories.map((m) => m.text).sort();
const create = async (text: string, extra: Record<string, unknown> = {}) =>
  (await t.engine.longTerm.create([{ text, namespace: 'n', ...extra }])).memories[0]!;

describe('the cohesion guard', () => {
  it('keeps only candidates within the threshold of every member', () => {
    const v = (deg: number) => Float32Array.from(at(deg));
    const candidates = [
      { id: 'b', vector: v(25), distance: cosineDistance(v(0), v(25)) },
      { id: 'c', vector: v(60), distance: cosineDistance(v(0), v(60)) },
      { id: 'd', vector: v(-20), distance: cosineDistance(v(0), v(-20)) },
    ];
    expect(cohesiveGroup(v(0), candidates, 0.35).map((c) => c.id)).toEqual(['d', 'b']);
    // Seen from the bridge, its two neighbours are too far apart to join one group.
    const fromBridge = [
      { id: 'a', vector: v(0), distance: cosineDistance(v(25), v(0)) },
      { id: 'c', vector: v(60), distance: cosineDistance(v(25), v(60)) },
    ];
    expect(cohesiveGroup(v(25), fromBridge, 0.35).map((c) => c.id)).toEqual(['a']);
  });
});

describe('semantic dedup at store time', () => {
  it('merges a paraphrase into the older memory', async () => {
    await open();
    t.llm.responder = () =>
      '{"same": true, "text": "Alice is allergic to peanuts (a peanut allergy).", "topics": ["health"]}';
    const first = await create(PEANUTS, { topics: ['allergy'] });
    await t.engine.runBackgroundTasks();
    expect(mergeCalls()).toHaveLength(0);
    const second = await create(PARAPHRASE);
    await t.engine.runBackgroundTasks();
    expect(mergeCalls()).toHaveLength(1);
    expect(mergeCalls()[0]!.user).toContain(PEANUTS);
    expect(mergeCalls()[0]!.user).toContain(PARAPHRASE);
    const merged = await t.engine.longTerm.get(first.id);
    expect(merged.text).toBe('Alice is allergic to peanuts (a peanut allergy).');
    expect(merged.topics).toEqual(['health', 'allergy']);
    expect(merged.metadata.merged_from).toEqual([second.id]);
    await expect(t.engine.longTerm.get(second.id)).rejects.toThrow(/No long-term memory/);
  });

  it('never chains unrelated memories through a bridge, even when the model says "same"', async () => {
    await open();
    t.llm.responder = alwaysSame;
    await create(PEANUTS);
    await create(BRIDGE);
    await create(UNRELATED);
    await t.engine.runBackgroundTasks();
    expect(mergeCalls()).toHaveLength(0);
    await create(PARAPHRASE);
    await t.engine.runBackgroundTasks();
    // The paraphrase is near both; the guard lets only its cohesive neighbour into the merge.
    expect(mergeCalls()).toHaveLength(1);
    expect(mergeCalls()[0]!.user).toContain(PEANUTS);
    expect(mergeCalls()[0]!.user).not.toContain(BRIDGE);
    expect(await texts()).toEqual([`${PEANUTS} / ${PARAPHRASE}`, BRIDGE, UNRELATED].sort());
  });

  it('keeps both when the model says they differ, and never merges across namespaces', async () => {
    await open();
    t.llm.responder = () => '{"same": false}';
    await create(PEANUTS);
    await create(PARAPHRASE);
    await t.engine.runBackgroundTasks();
    expect(await texts()).toEqual([PARAPHRASE, PEANUTS].sort());
    t.llm.responder = alwaysSame;
    t.llm.calls.length = 0;
    await create(PARAPHRASE.replace('has', 'really has'), { namespace: 'other' });
    await t.engine.runBackgroundTasks();
    expect(mergeCalls()).toHaveLength(0);
  });

  it('merges an extracted memory into a stored paraphrase instead of adding it', async () => {
    await open({ EXTRACTION_DEBOUNCE_SECONDS: '0' });
    await create(PEANUTS, { namespace: null, user_id: 'alice' });
    await t.engine.runBackgroundTasks();
    t.llm.responder = (call) =>
      call.system.includes('Grounding rules')
        ? JSON.stringify({ memories: [{ type: 'semantic', text: PARAPHRASE, sources: ['m1'] }] })
        : alwaysSame(call);
    await t.engine.workingMemory.put('s', {
      user_id: 'alice',
      messages: [{ id: 'x1', role: 'user', content: 'I have a peanut allergy, by the way.' }],
    });
    await t.engine.runBackgroundTasks();
    expect(await texts()).toEqual([`${PEANUTS} / ${PARAPHRASE}`]);
    const [merged] = (await t.engine.longTerm.list({}, 10, 0)).memories;
    expect(merged!.extracted_from).toEqual(['x1']);
  });
});

describe('compaction', () => {
  it('without an LLM removes exact duplicates and says near-duplicates were skipped', async () => {
    await t.open();
    await t.engine.longTerm.create(
      [
        { text: PEANUTS, namespace: 'n' },
        { text: PEANUTS, namespace: 'n' },
        { text: UNRELATED, namespace: 'n' },
        { text: PEANUTS, namespace: 'other' },
      ],
      { deduplicate: false },
    );
    const report = await t.engine.compact({ namespace: 'n' });
    expect(report).toMatchObject({ scanned: 3, duplicates_removed: 1, merged_groups: 0, semantic: 'skipped' });
    expect(report.reason).toMatch(/no LLM/);
    expect((await t.engine.longTerm.list({}, 10, 0)).total).toBe(3);
  });

  it('removes exact duplicates in slices, serving what waits between them', async () => {
    await t.open();
    const texts = Array.from({ length: 40 }, (_, i) => ({ text: `fact number ${i}`, namespace: 'n' }));
    await t.engine.longTerm.create([...texts, ...texts], { deduplicate: false });
    let finished = false;
    let servedDuring = false;
    setImmediate(() => {
      servedDuring = !finished;
    });
    const report = await t.engine.compact({ namespace: 'n' });
    finished = true;
    expect(servedDuring).toBe(true);
    expect(report).toMatchObject({ duplicates_removed: 40 });
    expect((await t.engine.longTerm.list({}, 100, 0)).total).toBe(40);
  });

  it('with an LLM merges cohesive groups within the compaction distance, through the MCP tool', async () => {
    await open();
    t.llm.responder = alwaysSame;
    // Stored without running the store-time pass, as an import would leave them.
    await create(PEANUTS);
    await create(PARAPHRASE);
    await create(BRIDGE);
    await create(UNRELATED, { namespace: 'elsewhere' });
    // A scheduled pass looks only at memories written since the previous one.
    expect(await t.engine.compact({ namespace: 'n', since: Date.now() + 60_000 })).toMatchObject({ merged_groups: 0 });
    expect(mergeCalls()).toHaveLength(0);
    const report = await compactTool.run(
      { namespace: 'n' },
      { engine: t.engine, defaults: {}, progress: async () => {} },
    );
    expect(report).toMatchObject({ scanned: 3, merged_groups: 1, merged_memories_removed: 1, semantic: 'done' });
    expect(await texts()).toEqual([`${PEANUTS} / ${PARAPHRASE}`, BRIDGE, UNRELATED].sort());
  });
});
