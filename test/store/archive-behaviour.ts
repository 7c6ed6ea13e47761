/**
 * The port's summarization and extraction members (archiveMessages, messagesToExtract, markMessagesExtracted, the
 * archive in putSession and export), written against the port; archive.test.ts runs them on SQLite,
 * postgres-specifics.test.ts on PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { MemoryStore, SessionKey, StoredSession } from '../../src/store/port.js';
import { message, workingMemory } from './records.js';

export function archiveBehaviour(open: () => Promise<MemoryStore>): void {
  let store: MemoryStore;
  beforeEach(async () => {
    store = await open();
  });
  afterEach(() => store.close());

  const key: SessionKey = { session_id: 's', namespace: 'ns', user_id: null };
  const ids = (s: { messages: { id: string }[] } | null) => s!.messages.map((m) => m.id);
  async function exported(): Promise<StoredSession[]> {
    const out: StoredSession[] = [];
    for await (const s of store.allSessions()) out.push(s);
    return out;
  }

  describe('archived messages', () => {
    const five = () => [1, 2, 3, 4, 5].map((i) => message({ id: `m${i}` }));

    it('archives messages and sets the summary in one step, refusing a stale summary', async () => {
      const put = await store.putSession(workingMemory({ ...key, messages: five(), context: 'old' }));
      const done = await store.archiveMessages(key, {
        ids: ['m1', 'm2', 'unknown'],
        context: 'new',
        expectedContext: 'old',
      });
      expect(ids(done)).toEqual(['m3', 'm4', 'm5']);
      expect(done).toMatchObject({ context: 'new', total_messages: 3, version: put.version + 1 });
      expect(await store.archiveMessages(key, { ids: ['m3'], context: 'x', expectedContext: 'old' })).toBeNull();
      expect(ids(await store.getSession(key))).toEqual(['m3', 'm4', 'm5']);
      expect(
        await store.archiveMessages({ ...key, session_id: 'gone' }, { ids: [], context: null, expectedContext: null }),
      ).toBeNull();
    });

    it('keeps the archive across PUT and append; an archived id is not added again', async () => {
      await store.putSession(workingMemory({ ...key, messages: five() }));
      await store.archiveMessages(key, { ids: ['m1', 'm2'], context: 'sum', expectedContext: null });
      // A client that re-sends everything it ever saw, plus one new message.
      await store.putSession(workingMemory({ ...key, messages: [...five(), message({ id: 'm6' })], context: 'sum' }));
      expect(ids(await store.getSession(key))).toEqual(['m3', 'm4', 'm5', 'm6']);
      const appended = await store.appendMessages(key, [message({ id: 'm1' }), message({ id: 'm7' })]);
      expect(appended.appended).toBe(1);
      const [session] = await exported();
      expect(session!.archived_messages!.map((m) => m.id)).toEqual(['m1', 'm2']);
      expect(ids(session!)).toEqual(['m3', 'm4', 'm5', 'm6', 'm7']);
    });

    it('restores an archive on import, before the live messages', async () => {
      await store.putSession(workingMemory({ ...key, messages: [message({ id: 'live' })] }), {
        archivedMessages: [message({ id: 'old1' }), message({ id: 'old2' })],
      });
      const [session] = await exported();
      expect(session!.archived_messages!.map((m) => m.id)).toEqual(['old1', 'old2']);
      expect(ids(session!)).toEqual(['live']);
    });
  });

  describe('extraction marks', () => {
    it('lists unextracted messages, live and archived, and keeps marks across a PUT that resets them', async () => {
      await store.putSession(workingMemory({ ...key, messages: [1, 2, 3].map((i) => message({ id: `m${i}` })) }));
      await store.archiveMessages(key, { ids: ['m1'], context: 's', expectedContext: null });
      expect((await store.messagesToExtract(key)).map((m) => m.id)).toEqual(['m1', 'm2', 'm3']);
      expect(await store.markMessagesExtracted(key, ['m1', 'm2'])).toBe(2);
      expect(await store.markMessagesExtracted(key, ['m1'])).toBe(0);
      expect((await store.messagesToExtract(key)).map((m) => m.id)).toEqual(['m3']);
      await store.putSession(
        workingMemory({
          ...key,
          messages: [2, 3].map((i) => message({ id: `m${i}`, discrete_memory_extracted: 'f' })),
        }),
      );
      expect((await store.getSession(key))!.messages.map((m) => m.discrete_memory_extracted)).toEqual(['t', 'f']);
      expect(await store.messagesToExtract({ ...key, namespace: null })).toEqual([]);
    });
  });
}
