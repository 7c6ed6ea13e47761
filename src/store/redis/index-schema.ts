/**
 * The search index over long-term memory hashes. Bump INDEX_VERSION whenever the schema below changes: a server
 * finding an index of another version builds the new one beside it (`agent-memory rebuild-index` does it by hand).
 */
export const INDEX_VERSION = 1;

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
export function createIndexArgs(name: string, prefix: string, gen: number, dim: number): (string | number)[] {
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
