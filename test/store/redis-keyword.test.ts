import { describe, expect, it } from 'vitest';
import { indexTokens } from '../../src/store/bm25.js';
import { PRUNE_FROM } from '../../src/store/redis/keyword-search.js';
import { KEYWORD_STATS_VERSION } from '../../src/store/redis/keyword-stats.js';
import { openRedisStore, type RedisStore } from '../../src/store/redis/redis-store.js';
import { DIM, filter, MODEL, mem, noFilter } from './records.js';
import { freshStore, harness, noRedis, noSearch } from './redis-helpers.js';

const skip = noRedis ?? noSearch;

/** The statistics a full recount of `live` gives, in the shape the store keeps them. */
function recount(live: Map<string, { terms: string; context: string }>) {
  const df: Record<string, string> = {};
  let tokens = 0;
  for (const { terms, context } of live.values()) {
    const all = [...indexTokens(terms), ...indexTokens(context)];
    tokens += all.length;
    for (const t of new Set(all)) df[t] = String(Number(df[t] ?? 0) + 1);
  }
  return { totals: { rows: String(live.size), tokens: String(tokens) }, df };
}

async function kept(s: RedisStore) {
  const totals = await s.client.hgetall(s.keys.keywordTotals);
  return {
    totals: { rows: totals.rows ?? '0', tokens: totals.tokens ?? '0' },
    df: await s.client.hgetall(s.keys.keywordDf),
  };
}

/** What a store written before keyword statistics existed looks like: memories, and no counts. */
async function forgetStats(s: RedisStore): Promise<void> {
  await s.client.hdel(s.keys.meta, 'keyword_stats');
  await s.client.del(s.keys.keywordDocs, s.keys.keywordDf, s.keys.keywordTotals);
}

/** Another store on the same keys (another process), its own connection. */
const openAgain = (s: RedisStore) =>
  openRedisStore({ url: harness!.url, keyPrefix: s.keys.base.slice(1, -2), requireSearch: false });

const corpus = () => [
  mem({ id: 'a', namespace: 'x', terms: 'apple orchard', contextTerms: 'autumn' }),
  mem({ id: 'b', namespace: 'x', terms: 'apple apple cider press', contextTerms: '' }),
  mem({ id: 'c', namespace: 'y', terms: 'cider', contextTerms: 'apple' }),
  mem({ id: 'd', namespace: 'y', terms: 'किताब नमस्ते', contextTerms: '東京' }),
  mem({ id: 'e', namespace: 'y', terms: 'long text about the apple harvest and its many orchards', contextTerms: '' }),
];

async function rankings(s: RedisStore) {
  return {
    all: await s.keywordSearch(['apple', 'cider'], noFilter(), 10),
    filtered: await s.keywordSearch(['apple', 'किताब'], filter({ namespace: { eq: 'y' } }), 10),
    ceiling: await s.keywordCeiling(['apple', 'cider']),
  };
}

describe.skipIf(skip)(`redis keyword statistics${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('stay equal to a recount through creates, updates, duplicates, deletes, term rewrites and erasure', async () => {
    const s = await freshStore();
    try {
      await s.ensureEmbeddingModel(MODEL, DIM);
      const live = new Map<string, { terms: string; context: string }>();
      const put = async (items: ReturnType<typeof mem>[], deduplicate = false) => {
        const out = await s.putMemories(items, { deduplicate });
        out.forEach((o, i) => {
          if (o.status !== 'duplicate') live.set(o.id, { terms: items[i]!.terms, context: items[i]!.contextTerms });
        });
      };
      await put([
        mem({ id: 'm1', user_id: 'u', terms: 'pear fig «pear»', contextTerms: 'fig' }),
        mem({ id: 'm2', terms: 'किताब किताब', contextTerms: '' }),
        mem({ id: 'm3', terms: '', contextTerms: '' }),
        mem({ id: 'm4', user_id: 'u', terms: '東京 pear', contextTerms: 'タワー' }),
      ]);
      expect(await kept(s)).toEqual(recount(live));
      await put([mem({ id: 'm1', user_id: 'u', terms: 'plum', contextTerms: 'pear pear' })]);
      await put([mem({ id: 'm5', memory_hash: 'hash-of-m2', terms: 'never counted' })], true);
      await put([mem({ id: 'm6', memory_hash: 'h6', terms: 'kept' }), mem({ memory_hash: 'h6', terms: 'dup' })], true);
      expect(await kept(s)).toEqual(recount(live));
      await s.setIndexTerms([
        { id: 'm2', terms: 'नमस्ते', contextTerms: 'fig' },
        { id: 'unknown', terms: 'ignored', contextTerms: '' },
      ]);
      live.set('m2', { terms: 'नमस्ते', context: 'fig' });
      expect(await kept(s)).toEqual(recount(live));
      expect(await s.deleteMemories(['m3', 'missing'])).toBe(1);
      live.delete('m3');
      expect(await kept(s)).toEqual(recount(live));
      await s.eraseUser('u', undefined);
      live.delete('m1');
      live.delete('m4');
      expect(await kept(s)).toEqual(recount(live));
      await s.deleteMemories([...live.keys()]);
      expect(await kept(s)).toEqual({ totals: { rows: '0', tokens: '0' }, df: {} });
    } finally {
      await s.close();
    }
  });

  it('are counted for memories written before they existed, once, by one of the processes opening at once', async () => {
    const s = await freshStore();
    try {
      await s.ensureEmbeddingModel(MODEL, DIM);
      await s.putMemories(corpus(), { deduplicate: false });
      const before = await rankings(s);
      const counts = await kept(s);
      await forgetStats(s);
      // Until every memory is counted, searches take the same figures from a pass over all memories.
      expect(await rankings(s)).toEqual(before);
      const others = await Promise.all([openAgain(s), openAgain(s), openAgain(s)]);
      try {
        expect(await s.client.hget(s.keys.meta, 'keyword_stats')).toBe(KEYWORD_STATS_VERSION);
        expect(await kept(s)).toEqual(counts);
        for (const o of others) expect(await rankings(o)).toEqual(before);
      } finally {
        await Promise.all(others.map((o) => o.close()));
      }
    } finally {
      await s.close();
    }
  });

  it('are left to the process holding the build lock, which the others wait for', async () => {
    const s = await freshStore();
    try {
      await s.ensureEmbeddingModel(MODEL, DIM);
      await s.putMemories(corpus(), { deduplicate: false });
      await s.client.hdel(s.keys.meta, 'keyword_stats');
      await s.client.set(s.keys.keywordBuildLock, 'another-process', 'PX', 60_000);
      const waiting = s.keywordStats.ensure();
      // The other builder finishes: it marks the statistics and lets go of the lock.
      await s.client.hset(s.keys.meta, 'keyword_stats', KEYWORD_STATS_VERSION);
      await s.client.del(s.keys.keywordBuildLock);
      expect(await waiting).toBe(0);
    } finally {
      await s.close();
    }
  });

  it('are counted again by rebuild-index, repairing counts a process of another version left wrong', async () => {
    const s = await freshStore();
    try {
      await s.ensureEmbeddingModel(MODEL, DIM);
      await s.putMemories(corpus(), { deduplicate: false });
      const counts = await kept(s);
      const before = await rankings(s);
      await s.client.hincrby(s.keys.keywordTotals, 'rows', 7);
      await s.client.hdel(s.keys.keywordDf, 'apple');
      expect(await s.rebuildIndex()).toBe(corpus().length);
      expect(await kept(s)).toEqual(counts);
      expect(await rankings(s)).toEqual(before);
    } finally {
      await s.close();
    }
  });
});

describe.skipIf(skip)(`redis keyword search bound${skip ? ` (skipped: ${skip})` : ''}`, () => {
  it('scores only the newest matches above the scan bound, exactly, and still counts every match', async () => {
    const s = await freshStore();
    try {
      await s.ensureEmbeddingModel(MODEL, DIM);
      // Older memories score higher (shorter); the newest three are scored.
      const items = Array.from({ length: 6 }, (_, i) => mem({ id: `n${i}`, terms: `pear ${'x '.repeat(i)}` }));
      for (const item of items) await s.putMemories([item], { deduplicate: false });
      const exact = await s.keywordSearch(['pear'], noFilter(), 10);
      expect(exact.items.map((h) => h.id)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
      s.keywords.scanMax = 3;
      const bounded = await s.keywordSearch(['pear'], noFilter(), 10);
      expect(bounded.total).toBe(6);
      expect(bounded.items).toEqual(exact.items.slice(3));
    } finally {
      await s.close();
    }
  });

  it('stays exact above the bound when rare tokens rule the common ones out (MaxScore)', async () => {
    const s = await freshStore();
    try {
      await s.ensureEmbeddingModel(MODEL, DIM);
      // Every memory holds the common tokens; a few hold rare ones, some of those several times.
      const rare = ['quince', 'medlar', 'loquat'];
      const items = Array.from({ length: 120 }, (_, i) =>
        mem({
          id: `m${String(i).padStart(3, '0')}`,
          namespace: i % 2 ? 'odd' : 'even',
          terms: [
            'fruit',
            i % 3 ? 'tree' : 'bush',
            ...(i % 5 === 0 ? [rare[(i / 5) % 3]!] : []),
            ...(i % 29 === 0 ? [rare[(i + 1) % 3]!, rare[(i + 1) % 3]!] : []),
            'x '.repeat(i % 7).trim(),
          ]
            .filter(Boolean)
            .join(' '),
        }),
      );
      await s.putMemories(items, { deduplicate: false });
      const queries = [
        ['fruit', 'quince'],
        ['fruit', 'tree', 'medlar', 'loquat'],
        ['bush', 'fruit', 'quince', 'medlar', 'loquat'],
      ];
      for (const f of [noFilter(), filter({ namespace: { eq: 'even' } })]) {
        for (const q of queries) {
          s.keywords.scanMax = Number.POSITIVE_INFINITY;
          const exact = await s.keywordSearch(q, f, 5);
          s.keywords.scanMax = 40;
          const pruned = await s.keywordSearch(q, f, 5);
          expect(
            pruned.items.map((h) => h.id),
            q.join(' '),
          ).toEqual(exact.items.map((h) => h.id));
          expect(pruned.items.map((h) => h.score)).toEqual(exact.items.map((h) => h.score));
          expect(pruned.total).toBe(exact.total);
          // Below the scan bound too, from pruneFrom matches on.
          s.keywords.scanMax = Number.POSITIVE_INFINITY;
          s.keywords.pruneFrom = 10;
          const early = await s.keywordSearch(q, f, 5);
          s.keywords.pruneFrom = PRUNE_FROM;
          expect(early.items).toEqual(exact.items);
          expect(early.total).toBe(exact.total);
        }
      }
    } finally {
      await s.close();
    }
  });
});
