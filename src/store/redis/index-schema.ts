import { createHash } from 'node:crypto';

/**
 * The search index over long-term memory hashes. Bump INDEX_VERSION whenever the schema below changes: a server
 * finding an index of another version builds the new one beside it (`agent-memory rebuild-index` does it by hand).
 */
export const INDEX_VERSION = 3;

/**
 * The index version a store records: INDEX_VERSION, and when attribute paths are declared (AGENT_ATTRIBUTE_PATHS)
 * a digest of them, so that declaring other paths builds an index with their fields.
 */
export function indexVersionOf(attributePaths: readonly string[]): string {
  if (attributePaths.length === 0) return String(INDEX_VERSION);
  const digest = createHash('sha1')
    .update([...attributePaths].sort().join(','))
    .digest('hex')
    .slice(0, 8);
  return `${INDEX_VERSION}a${digest}`;
}

/** The hash fields of one declared attribute path: its value as a number (`_n`) or as a string tag (`_t`). */
export function attributeFields(path: string): { num: string; tag: string } {
  const base = `a_${createHash('sha1').update(path).digest('hex').slice(0, 12)}`;
  return { num: `${base}_n`, tag: `${base}_t` };
}

/** Hash field holding the vector of generation `gen`; a re-embed writes the next generation beside it. */
export const vectorField = (gen: number) => `v${gen}`;
/** The same hash field indexed a second time, brute force (FLAT), for exact distance-bounded searches. */
export const exactVectorField = (gen: number) => `f${gen}`;

/**
 * FT.CREATE arguments. Notes on choices:
 * - `terms`/`context` hold tokens the core already analysed: NOSTEM and STOPWORDS 0 keep Redis from analysing
 *   them again. Schema WEIGHT is stored as a whole-number term frequency (a 0.5 weight counts as 1), so the
 *   context weight is applied per query (`$weight`) instead.
 * - TAG values are hex-encoded (query-escape.ts), so the default separator `,` only ever splits lists.
 * - `id` is SORTABLE UNF so listings can break created_at ties by id, byte-wise like SQLite.
 * - `seq` is the insertion order (sessionTail).
 * - The vector is indexed twice: HNSW for KNN (approximate, fast), and FLAT for range queries. HNSW range
 *   searches miss members of clusters of (near-)identical vectors — exactly what dedup looks for, since equal
 *   texts embed equally — so distance-bounded searches, and their totals, are exact brute force as in SQLite.
 */
export function createIndexArgs(
  name: string,
  prefix: string,
  gen: number,
  dim: number,
  attributePaths: readonly string[] = [],
): (string | number)[] {
  return [
    name,
    'ON',
    'HASH',
    'PREFIX',
    1,
    prefix,
    'STOPWORDS',
    0,
    'SCHEMA',
    'terms',
    'TEXT',
    'NOSTEM',
    'context',
    'TEXT',
    'NOSTEM',
    'id',
    'TAG',
    'SORTABLE',
    'UNF',
    'namespace',
    'TAG',
    'user_id',
    'TAG',
    'session_id',
    'TAG',
    'memory_type',
    'TAG',
    'topics',
    'TAG',
    'entities',
    'TAG',
    'memory_hash',
    'TAG',
    'pinned',
    'TAG',
    'extraction_strategy',
    'TAG',
    'created_at',
    'NUMERIC',
    'SORTABLE',
    'updated_at',
    'NUMERIC',
    'last_accessed',
    'NUMERIC',
    'event_date',
    'NUMERIC',
    'importance',
    'NUMERIC',
    'SORTABLE',
    // Agent memories (issue 15): `hid` is the id hex-encoded, for id sets in a query (a circle's members).
    'hid',
    'TAG',
    'agent_id',
    'TAG',
    'step_number',
    'NUMERIC',
    'SORTABLE',
    'memory_tier',
    'TAG',
    'tier_step',
    'NUMERIC',
    'SORTABLE',
    'loc_kind',
    'TAG',
    'loc_x',
    'NUMERIC',
    'loc_y',
    'NUMERIC',
    ...attributePaths.flatMap((p) => {
      const f = attributeFields(p);
      return [f.num, 'NUMERIC', f.tag, 'TAG'];
    }),
    'seq',
    'NUMERIC',
    'SORTABLE',
    vectorField(gen),
    'VECTOR',
    'HNSW',
    6,
    'TYPE',
    'FLOAT32',
    'DIM',
    dim,
    'DISTANCE_METRIC',
    'COSINE',
    vectorField(gen),
    'AS',
    exactVectorField(gen),
    'VECTOR',
    'FLAT',
    6,
    'TYPE',
    'FLOAT32',
    'DIM',
    dim,
    'DISTANCE_METRIC',
    'COSINE',
  ];
}
