import { describe, expect, it } from 'vitest';
import { withActor } from '../../src/util/actor.js';
import { fakeModelEnv, useLlmEngine } from '../helpers/llm-engine.js';

const PEANUTS = 'Alice is allergic to peanuts';
const EDITED = 'Alice is allergic to peanuts and walnuts';
const PARAPHRASE = 'Alice has a peanut allergy';
const MERGED = 'Alice is allergic to peanuts and walnuts (a peanut allergy).';

const at = (deg: number) => [Math.cos((deg * Math.PI) / 180), Math.sin((deg * Math.PI) / 180), 0, 0];
const t = useLlmEngine('am-history-', (llm) => {
  llm.embed = (text) =>
    text.includes('allergic to peanuts') ? at(0) : text.includes('peanut allergy') ? at(25) : [0, 0, 0, 1];
});

const open = () =>
  t.open({
    ...fakeModelEnv(t.llm),
  });

describe('the history of a memory', () => {
  it('shows create → edit → merge → delete with the old texts and who made each change, after the delete too', async () => {
    const engine = await open();
    t.llm.responder = () => JSON.stringify({ same: true, text: MERGED, topics: ['health'] });
    const [a] = (
      await withActor('mcp:claude', () => engine.longTerm.create([{ text: PEANUTS, namespace: 'n', user_id: 'u' }]))
    ).memories;
    await engine.runBackgroundTasks();
    await withActor('token:t1', () => engine.longTerm.edit(a!.id, { text: EDITED }));
    const [b] = (await engine.longTerm.create([{ text: PARAPHRASE, namespace: 'n', user_id: 'u' }])).memories;
    // The enrichment task finds the paraphrase near the edited memory and merges it into the older one.
    await engine.runBackgroundTasks();
    expect((await engine.longTerm.get(a!.id)).text).toBe(MERGED);
    await withActor('cli', () => engine.longTerm.delete([a!.id]));

    const history = await engine.activity.history(a!.id);
    expect(history.memory_id).toBe(a!.id);
    expect(history.events.map((e) => e.action)).toEqual(['create', 'edit', 'merge', 'delete']);
    const [create, edit, merge, del] = history.events;
    expect(create).toMatchObject({ actor: 'mcp:claude', before: null, after: { text: PEANUTS }, namespace: 'n' });
    expect(edit).toMatchObject({ actor: 'token:t1', before: { text: PEANUTS }, after: { text: EDITED } });
    expect(merge).toMatchObject({ before: { text: EDITED }, after: { text: MERGED }, details: { merged: [b!.id] } });
    expect(merge!.actor).toMatch(/^server:/);
    expect(del).toMatchObject({ actor: 'cli', before: { text: MERGED }, after: null, user_id: 'u' });
    for (let i = 1; i < 4; i++)
      expect(Number(history.events[i]!.id)).toBeGreaterThan(Number(history.events[i - 1]!.id));

    // The memory merged away has its own history, ending in the merge that absorbed it.
    const absorbed = await engine.activity.history(b!.id);
    expect(absorbed.events.map((e) => e.action)).toEqual(['create', 'merge']);
    expect(absorbed.events[1]).toMatchObject({ before: { text: PARAPHRASE }, after: null, details: { into: a!.id } });

    // The activity stream holds the same events, newest first, filterable by action.
    const page = await engine.activity.page({ action: 'merge,delete', namespace: 'n' });
    expect(page.events.map((e) => [e.action, e.target_id])).toEqual([
      ['delete', a!.id],
      ['merge', b!.id],
      ['merge', a!.id],
    ]);

    // Erasing the user removes the history with the memories; nothing is left to show.
    const erased = await engine.eraseUser({ user_id: 'u' });
    expect(erased.activity_events).toBeGreaterThanOrEqual(6);
    await expect(engine.activity.history(a!.id)).rejects.toMatchObject({ kind: 'not_found' });
  });

  it('records an overwrite by id as an edit, and a memory written before history existed has an empty one', async () => {
    const engine = await open();
    const [m] = (await engine.longTerm.create([{ id: 'fixed', text: 'first version', namespace: 'n' }])).memories;
    await engine.longTerm.create([{ id: 'fixed', text: 'second version', namespace: 'n' }]);
    const history = await engine.activity.history(m!.id);
    expect(history.events.map((e) => [e.action, e.before?.text ?? null, e.after?.text ?? null])).toEqual([
      ['create', null, 'first version'],
      ['edit', 'first version', 'second version'],
    ]);
    await engine.store.pruneActivity(Date.now() + 1, 1000);
    expect((await engine.activity.history(m!.id)).events).toEqual([]);
    await expect(engine.activity.history('never-existed')).rejects.toMatchObject({ kind: 'not_found' });
  });
});
