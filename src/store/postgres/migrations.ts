import { MemoryError } from '../../errors.js';
import type { Sql } from './client.js';
import { ensureVectorExtension, type VectorCapabilities } from './extension.js';

interface Migration {
  version: number;
  description: string;
  sql: string;
}

// Times are epoch ms (bigint), as in the other stores, so filters compare numbers. Identifiers and tag values are
// COLLATE "C": byte order, the order every store breaks ties in, and no locale in equality. JSON bodies are text,
// not jsonb, so they come back exactly as written. Vector tables are not here: their dimension is only known once
// an embedding model is chosen (vectors.ts).
//
// Keyword search scores BM25 itself (keyword-search.ts), from memory_terms (one row per memory and term, with its
// counts in the memory's terms and context) and keyword_stats (how many memories and tokens there are).
// keyword_stats is spread over 16 rows, one picked by the writing connection, so concurrent writers do not queue on
// one row; its statement triggers keep it exact in every transaction that changes memories.
const V1 = `
CREATE TABLE meta (key text COLLATE "C" PRIMARY KEY, value text NOT NULL);

CREATE TABLE memories (
  pk bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  id text COLLATE "C" NOT NULL UNIQUE,
  text text NOT NULL,
  session_id text COLLATE "C",
  user_id text COLLATE "C",
  namespace text COLLATE "C",
  memory_type text COLLATE "C" NOT NULL,
  topics text[] COLLATE "C" NOT NULL,
  entities text[] COLLATE "C" NOT NULL,
  event_date bigint,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  last_accessed bigint NOT NULL,
  access_count bigint NOT NULL DEFAULT 0,
  pinned boolean NOT NULL DEFAULT false,
  importance double precision NOT NULL,
  memory_hash text COLLATE "C" NOT NULL,
  discrete_memory_extracted text NOT NULL,
  extraction_strategy text COLLATE "C" NOT NULL,
  extraction_strategy_config text NOT NULL,
  extracted_from text NOT NULL,
  persisted_at bigint,
  metadata text NOT NULL,
  doc_len integer NOT NULL DEFAULT 0
);
CREATE INDEX memories_namespace ON memories (namespace);
CREATE INDEX memories_user_id ON memories (user_id);
CREATE INDEX memories_session ON memories (session_id, pk);
CREATE INDEX memories_hash ON memories (memory_hash);
CREATE INDEX memories_created ON memories (created_at DESC, id);
CREATE INDEX memories_updated ON memories (updated_at);
CREATE INDEX memories_topics ON memories USING gin (topics);
CREATE INDEX memories_entities ON memories USING gin (entities);
-- The fixed sample similarity figures are taken over (vector-search.ts) is a range of this hash: an index scan.
CREATE INDEX memories_sample ON memories ((hashint8(pk) & 2147483647));

CREATE TABLE memory_terms (
  term text COLLATE "C" NOT NULL,
  memory_pk bigint NOT NULL REFERENCES memories (pk) ON DELETE CASCADE,
  tf integer NOT NULL,
  ctf integer NOT NULL,
  PRIMARY KEY (term, memory_pk) INCLUDE (tf, ctf)
);
CREATE INDEX memory_terms_memory ON memory_terms (memory_pk);

CREATE TABLE keyword_stats (slot integer PRIMARY KEY, docs bigint NOT NULL, tokens bigint NOT NULL);

CREATE FUNCTION keyword_stats_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
DECLARE
  d_docs bigint := 0;
  d_tokens bigint := 0;
BEGIN
  IF TG_OP = 'INSERT' THEN
    SELECT count(*), coalesce(sum(doc_len), 0) INTO d_docs, d_tokens FROM new_rows;
  ELSIF TG_OP = 'DELETE' THEN
    SELECT -count(*), -coalesce(sum(doc_len), 0) INTO d_docs, d_tokens FROM old_rows;
  ELSE
    SELECT coalesce(sum(doc_len), 0) - (SELECT coalesce(sum(doc_len), 0) FROM old_rows) INTO d_tokens FROM new_rows;
  END IF;
  IF d_docs <> 0 OR d_tokens <> 0 THEN
    INSERT INTO keyword_stats AS s (slot, docs, tokens) VALUES (pg_backend_pid() % 16, d_docs, d_tokens)
      ON CONFLICT (slot) DO UPDATE SET docs = s.docs + EXCLUDED.docs, tokens = s.tokens + EXCLUDED.tokens;
  END IF;
  RETURN NULL;
END
$$;
CREATE TRIGGER memories_stats_insert AFTER INSERT ON memories REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION keyword_stats_change();
CREATE TRIGGER memories_stats_update AFTER UPDATE ON memories REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION keyword_stats_change();
CREATE TRIGGER memories_stats_delete AFTER DELETE ON memories REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION keyword_stats_change();

CREATE TABLE sessions (
  pk bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  session_id text COLLATE "C" NOT NULL,
  namespace text COLLATE "C",
  user_id text COLLATE "C",
  context text,
  data text NOT NULL,
  memories text NOT NULL,
  tokens bigint NOT NULL DEFAULT 0,
  ttl_seconds bigint,
  expires_at bigint,
  long_term_memory_strategy text NOT NULL,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  last_accessed bigint NOT NULL,
  version integer NOT NULL
);
CREATE UNIQUE INDEX sessions_key ON sessions (session_id, coalesce(namespace, ''), coalesce(user_id, ''));
CREATE INDEX sessions_updated ON sessions (updated_at DESC, pk DESC);
CREATE INDEX sessions_expires ON sessions (expires_at) WHERE expires_at IS NOT NULL;
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE session_messages (
  session_pk bigint NOT NULL REFERENCES sessions (pk) ON DELETE CASCADE,
  seq integer NOT NULL,
  id text COLLATE "C" NOT NULL,
  role text NOT NULL,
  content text NOT NULL,
  created_at bigint NOT NULL,
  persisted_at bigint,
  discrete_memory_extracted text NOT NULL,
  archived_at bigint,
  PRIMARY KEY (session_pk, seq),
  UNIQUE (session_pk, id)
);

CREATE TABLE embedding_cache (
  model text COLLATE "C" NOT NULL,
  hash text COLLATE "C" NOT NULL,
  vector bytea NOT NULL,
  PRIMARY KEY (model, hash)
);
CREATE INDEX embedding_cache_hash ON embedding_cache (hash);

CREATE TABLE tasks (
  id text COLLATE "C" PRIMARY KEY,
  kind text NOT NULL,
  payload text NOT NULL,
  status text NOT NULL,
  dedupe_key text COLLATE "C",
  attempts integer NOT NULL DEFAULT 0,
  max_attempts integer NOT NULL,
  run_at bigint NOT NULL,
  lease_owner text,
  lease_until bigint,
  last_error text,
  result text,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  started_at bigint,
  completed_at bigint
);
CREATE INDEX tasks_pending ON tasks (run_at) WHERE status = 'pending';
CREATE INDEX tasks_running ON tasks (lease_until) WHERE status = 'running';
CREATE INDEX tasks_finished ON tasks (completed_at) WHERE status IN ('success', 'failed');
CREATE UNIQUE INDEX tasks_pending_key ON tasks (dedupe_key) WHERE status = 'pending' AND dedupe_key IS NOT NULL;

CREATE TABLE activity (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  at bigint NOT NULL,
  action text NOT NULL,
  resource text NOT NULL,
  target_id text COLLATE "C" NOT NULL,
  namespace text COLLATE "C",
  user_id text COLLATE "C",
  session_id text COLLATE "C",
  actor text NOT NULL,
  body text NOT NULL
);
CREATE INDEX activity_target ON activity (target_id, seq);
CREATE INDEX activity_namespace ON activity (namespace, seq);
CREATE INDEX activity_user ON activity (user_id, seq);
CREATE INDEX activity_session ON activity (session_id, seq);
CREATE INDEX activity_at ON activity (at);

CREATE TABLE summary_views (
  id text COLLATE "C" PRIMARY KEY,
  created_at bigint NOT NULL,
  body text NOT NULL
);
CREATE TABLE summary_view_partitions (
  view_id text COLLATE "C" NOT NULL REFERENCES summary_views (id) ON DELETE CASCADE,
  partition_key text COLLATE "C" NOT NULL,
  body text NOT NULL,
  PRIMARY KEY (view_id, partition_key)
);
`;

// Keyword search scores a hit from its memory_terms row alone (doc_len beside tf and ctf, all in the primary key's
// index, which is then enough on a vacuumed table) and reads document frequencies from term_docs instead of
// counting every hit of every query token. term_docs is spread over 16 slots like keyword_stats; a term's count is
// its slots' sum. When the last memory holding a term loses it, the term's rows go: an erased user's words must not
// stay behind in it. Deleting locks every slot of the terms involved, in term order as inserts lock theirs, so the
// sum it sees is the sum (a memory update, which deletes then inserts, can still deadlock with an insert on the
// same slot: the transaction is then retried).
const V2 = `
ALTER TABLE memory_terms ADD COLUMN doc_len integer NOT NULL DEFAULT 0;
UPDATE memory_terms t SET doc_len = m.doc_len FROM memories m WHERE m.pk = t.memory_pk AND m.doc_len <> 0;
ALTER TABLE memory_terms DROP CONSTRAINT memory_terms_pkey;
ALTER TABLE memory_terms ADD PRIMARY KEY (term, memory_pk) INCLUDE (tf, ctf, doc_len);

CREATE TABLE term_docs (term text COLLATE "C" NOT NULL, slot integer NOT NULL, docs bigint NOT NULL,
  PRIMARY KEY (term, slot));
INSERT INTO term_docs (term, slot, docs) SELECT term, 0, count(*) FROM memory_terms GROUP BY term;

CREATE FUNCTION term_docs_change() RETURNS trigger LANGUAGE plpgsql SET search_path FROM CURRENT AS $$
BEGIN
  IF TG_OP = 'INSERT' THEN
    INSERT INTO term_docs AS d (term, slot, docs)
      SELECT term, pg_backend_pid() % 16, count(*) FROM new_rows GROUP BY term ORDER BY term
      ON CONFLICT (term, slot) DO UPDATE SET docs = d.docs + EXCLUDED.docs;
    RETURN NULL;
  END IF;
  PERFORM 1 FROM term_docs d WHERE d.term IN (SELECT term FROM old_rows) ORDER BY d.term, d.slot FOR UPDATE;
  WITH gone AS (SELECT term, count(*) AS n FROM old_rows GROUP BY term),
  totals AS (SELECT d.term, sum(d.docs) AS docs, min(d.slot) AS slot FROM term_docs d JOIN gone g ON g.term = d.term
             GROUP BY d.term),
  emptied AS (
    DELETE FROM term_docs d USING gone g, totals t
    WHERE d.term = g.term AND t.term = g.term AND t.docs <= g.n
  )
  UPDATE term_docs d SET docs = d.docs - g.n FROM gone g, totals t
  WHERE d.term = g.term AND t.term = g.term AND t.docs > g.n AND d.slot = t.slot;
  RETURN NULL;
END
$$;
CREATE TRIGGER memory_terms_docs_insert AFTER INSERT ON memory_terms REFERENCING NEW TABLE AS new_rows
  FOR EACH STATEMENT EXECUTE FUNCTION term_docs_change();
CREATE TRIGGER memory_terms_docs_delete AFTER DELETE ON memory_terms REFERENCING OLD TABLE AS old_rows
  FOR EACH STATEMENT EXECUTE FUNCTION term_docs_change();
`;

// Agent memories (issue 15): agent, step, location (loc_kind 1 = {x, y}, 2 = {lat, lon} as x = lon, y = lat) and
// the structured content, in plain indexed columns.
const V3 = `
ALTER TABLE memories ADD COLUMN agent_id text COLLATE "C";
ALTER TABLE memories ADD COLUMN step_number bigint;
ALTER TABLE memories ADD COLUMN loc_kind smallint;
ALTER TABLE memories ADD COLUMN loc_x double precision;
ALTER TABLE memories ADD COLUMN loc_y double precision;
ALTER TABLE memories ADD COLUMN content text;
CREATE INDEX memories_agent_step ON memories (agent_id, step_number) WHERE agent_id IS NOT NULL;
CREATE INDEX memories_step ON memories (step_number) WHERE step_number IS NOT NULL;
CREATE INDEX memories_importance ON memories (importance);
CREATE INDEX memories_location ON memories (loc_kind, loc_x, loc_y) WHERE loc_kind IS NOT NULL;
`;

// Memory tiers of agent memories (issue 15): the tier and the step its limits count from; memories stored before
// tiers existed are full detail, so they are STM from their own step.
const V4 = `
ALTER TABLE memories ADD COLUMN memory_tier text COLLATE "C";
ALTER TABLE memories ADD COLUMN tier_step bigint;
UPDATE memories SET memory_tier = 'stm', tier_step = COALESCE(step_number, 0)
  WHERE memory_type IN ('state', 'action', 'interaction');
CREATE INDEX memories_agent_tier ON memories (agent_id, memory_tier, tier_step) WHERE memory_tier IS NOT NULL;
`;

/** Append only: a released migration is never edited, a change is a new version. */
const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    description: 'memories, keyword index, sessions, tasks, activity, summary views, embedding cache',
    sql: V1,
  },
  { version: 2, description: 'keyword index: lengths in memory_terms, document frequencies in term_docs', sql: V2 },
  { version: 3, description: 'agent memories: agent, step, location, content', sql: V3 },
  { version: 4, description: 'agent memory tiers (STM, IM, LTM)', sql: V4 },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

/** One key for every agent-memory database on the server: migrations are rare, and CREATE EXTENSION is global. */
const MIGRATION_LOCK = "pg_advisory_xact_lock(hashtextextended('agent-memory:migrate', 0))";

/**
 * Brings the schema up to date in one transaction under an advisory lock: processes starting together wait for
 * the first one, then find nothing left to do. Creates the schema and the vector extension when missing. Runs on
 * a connection of its own, before the pool's connections set their search path.
 */
export async function migrate(
  tx: Sql,
  quotedSchema: string | null,
  where: string,
  /** Tests stop earlier, to build a database as an older server left it. */
  target = LATEST_SCHEMA_VERSION,
): Promise<{ version: number; vector: VectorCapabilities }> {
  await tx.run(`SELECT ${MIGRATION_LOCK}`);
  const vector = await ensureVectorExtension(tx, where);
  if (quotedSchema) {
    await tx.run(`CREATE SCHEMA IF NOT EXISTS ${quotedSchema}`);
    await tx.run(`SELECT set_config('search_path', $1 || ', ' || current_setting('search_path'), true)`, [
      quotedSchema,
    ]);
  }
  await tx.run(
    `CREATE TABLE IF NOT EXISTS schema_migrations (
       version integer PRIMARY KEY,
       description text NOT NULL,
       applied_at timestamptz NOT NULL DEFAULT now()
     )`,
  );
  const row = await tx.one<{ v: number }>('SELECT coalesce(max(version), 0) AS v FROM schema_migrations');
  const start = row?.v ?? 0;
  if (start > LATEST_SCHEMA_VERSION) {
    throw new MemoryError(
      'unavailable',
      `This database has schema version ${start}, newer than this server understands (${LATEST_SCHEMA_VERSION}). Upgrade agent-memory.`,
    );
  }
  for (const m of MIGRATIONS) {
    if (m.version <= start || m.version > target) continue;
    await tx.run(m.sql);
    await tx.run('INSERT INTO schema_migrations (version, description) VALUES ($1, $2)', [m.version, m.description]);
  }
  return { version: Math.max(start, target), vector };
}
