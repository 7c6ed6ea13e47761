import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import { loadConfig } from '../../src/config.js';
import { type Engine, openEngine } from '../../src/core/engine.js';
import { type FakeLlm, startFakeLlm } from './fake-llm.js';

export interface LlmEngineFixture {
  readonly llm: FakeLlm;
  /** A fresh temp directory per test, holding the SQLite file. */
  readonly dir: string;
  /** The engine the last `open` made; closed after each test. */
  readonly engine: Engine;
  /** Opens an engine on the test's SQLite file; background tasks run only when the test runs them. */
  open(env?: Record<string, string>): Promise<Engine>;
}

/**
 * One fake LLM server for the file, a temp SQLite directory and engine per test. `onReset` scripts the fake
 * before each test (responders, embeddings).
 */
export function useLlmEngine(prefix: string, onReset: (llm: FakeLlm) => void = () => {}): LlmEngineFixture {
  let llm: FakeLlm | undefined;
  let dir = '';
  let engine: Engine | undefined;
  beforeAll(async () => {
    llm = await startFakeLlm();
  });
  afterAll(() => llm?.close());
  beforeEach(() => {
    llm!.reset();
    onReset(llm!);
    dir = mkdtempSync(join(tmpdir(), prefix));
  });
  afterEach(async () => {
    await engine?.close();
    engine = undefined;
    rmSync(dir, { recursive: true, force: true });
  });
  return {
    get llm() {
      return llm!;
    },
    get dir() {
      return dir;
    },
    get engine() {
      if (!engine) throw new Error('no engine open: call open() first');
      return engine;
    },
    async open(env = {}) {
      engine = await openEngine(loadConfig({ SQLITE_PATH: join(dir, 'm.db'), LOG_LEVEL: 'silent', ...env }), {
        autoStartWorker: false,
      });
      return engine;
    },
  };
}

/** Settings for an engine whose embeddings and chat both come from the fake LLM server, enrichment off. */
export const fakeModelEnv = (llm: FakeLlm): Record<string, string> => ({
  EMBEDDING_PROVIDER: 'openai',
  EMBEDDING_MODEL: 'fake-embed',
  OPENAI_API_BASE: llm.openaiUrl,
  GENERATION_MODEL: 'local-model',
  ENABLE_TOPIC_EXTRACTION: 'false',
  ENABLE_NER: 'false',
});
