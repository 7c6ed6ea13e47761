import { describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { openEngine } from '../../src/core/engine.js';

async function idsFound(env: Record<string, string>, memoryType: 'message' | 'semantic') {
  const engine = await openEngine(
    loadConfig({ MEMORY_BACKEND: 'memory', LOG_LEVEL: 'silent', RELATED_WORDS: 'false', ...env }),
    { autoStartWorker: false },
  );
  try {
    await engine.longTerm.create(
      [
        { id: 'q', text: 'What did you paint last weekend?', session_id: 's1', memory_type: memoryType },
        { id: 'a', text: 'A sunrise over the lake.', session_id: 's1', memory_type: memoryType },
      ],
      { deduplicate: false },
    );
    const res = await engine.longTerm.search({ text: 'paint', search_mode: 'keyword' });
    return res.memories.map((m) => m.id).sort();
  } finally {
    await engine.close();
  }
}

describe('neighbour context applies to conversation turns only', () => {
  it('a turn is found by the words of the turn next to it', async () => {
    expect(await idsFound({}, 'message')).toEqual(['a', 'q']);
  });

  it('standalone facts stored together lend each other nothing', async () => {
    expect(await idsFound({}, 'semantic')).toEqual(['q']);
  });

  it('NEIGHBOUR_CONTEXT=false turns it off for turns too', async () => {
    expect(await idsFound({ NEIGHBOUR_CONTEXT: 'false' }, 'message')).toEqual(['q']);
  });
});
