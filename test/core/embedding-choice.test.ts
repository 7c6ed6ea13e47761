import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import {
  ConfigError,
  loadConfig,
  OFFLINE_DEFAULT_MODEL,
  OFFLINE_EMBEDDING_MODEL,
  OFFLINE_WORDVEC_MODEL,
} from '../../src/config.js';
import { openEngine } from '../../src/core/engine.js';

const dir = mkdtempSync(join(tmpdir(), 'am-embedding-choice-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const base = {
  MEMORY_BACKEND: 'sqlite',
  LOG_LEVEL: 'silent',
  OFFLINE_VECTORS_DIR: process.env.OFFLINE_VECTORS_DIR ?? dir,
};

describe('choosing the embedding model', () => {
  it('defaults to the offline sentence encoder with word vectors, as a default rather than a choice', () => {
    const c = loadConfig({ ...base });
    expect(c.embedding).toMatchObject({ provider: 'offline', model: OFFLINE_DEFAULT_MODEL, explicit: false });
  });

  it('takes either offline model by name, and refuses an unknown one for the offline provider', () => {
    expect(loadConfig({ ...base, EMBEDDING_MODEL: OFFLINE_EMBEDDING_MODEL }).embedding).toMatchObject({
      provider: 'offline',
      model: OFFLINE_EMBEDDING_MODEL,
      explicit: true,
    });
    expect(() => loadConfig({ ...base, EMBEDDING_PROVIDER: 'offline', EMBEDDING_MODEL: 'nomic-embed-text' })).toThrow(
      ConfigError,
    );
  });

  it('validates HYBRID_ALPHA, NEIGHBOUR_CONTEXT and RELATED_WORDS', () => {
    expect(loadConfig({ ...base, HYBRID_ALPHA: '0.5' }).hybridAlpha).toBe(0.5);
    expect(() => loadConfig({ ...base, HYBRID_ALPHA: '2' })).toThrow(/HYBRID_ALPHA/);
    expect(loadConfig({ ...base, NEIGHBOUR_CONTEXT: 'false', RELATED_WORDS: 'off' })).toMatchObject({
      neighbourContext: false,
      relatedWords: false,
    });
  });

  it('keeps a database built with the hashed embedder on it until reembed, unless a model is named', async () => {
    const path = join(dir, 'old.db');
    const old = await openEngine(loadConfig({ ...base, SQLITE_PATH: path, EMBEDDING_MODEL: OFFLINE_EMBEDDING_MODEL }));
    await old.longTerm.create([{ text: 'The user prefers dark mode' }]);
    await old.close();

    const reopened = await openEngine(loadConfig({ ...base, SQLITE_PATH: path }));
    expect(reopened.embedder.model).toBe(OFFLINE_EMBEDDING_MODEL);
    expect((await reopened.longTerm.search({ text: 'dark mode' })).memories[0]?.text).toBe(
      'The user prefers dark mode',
    );
    await reopened.close();

    await expect(
      openEngine(loadConfig({ ...base, SQLITE_PATH: path, EMBEDDING_MODEL: OFFLINE_DEFAULT_MODEL })),
    ).rejects.toThrow(/agent-memory reembed/);
  });

  it('records the default model on a new database and uses its calibrated hybrid weight', async () => {
    const engine = await openEngine(loadConfig({ ...base, SQLITE_PATH: join(dir, 'new.db') }));
    expect(engine.embedder.model).toBe(OFFLINE_DEFAULT_MODEL);
    expect(engine.embedder.fusion.alpha).toBe(0.4);
    expect(await engine.store.recordedEmbeddingModel()).toEqual({ model: OFFLINE_DEFAULT_MODEL, dimension: 612 });
    await engine.close();
  });

  it('takes the word vectors alone when named, with their own weight', async () => {
    const engine = await openEngine(
      loadConfig({ ...base, SQLITE_PATH: join(dir, 'words.db'), EMBEDDING_MODEL: OFFLINE_WORDVEC_MODEL }),
    );
    expect(engine.embedder.dimension).toBe(100);
    expect(engine.embedder.fusion.alpha).toBe(0.25);
    await engine.close();
  });
});
