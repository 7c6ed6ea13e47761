import { MemoryError } from '../../errors.js';
import { moveKeywordRows } from './keyword-rows.js';
import { Meta } from './meta.js';
import type { Db } from './open.js';
import { StatementCache } from './statements.js';
import { quantizeStoredVectors, VectorIndex } from './vectors.js';

interface Migration {
  version: number;
  description: string;
  sql: string;
  /** Work SQL alone cannot do, run after `sql` in the same transaction. */
  run?: (db: Db) => void;
}

// Vector tables are not here: their dimension is only known once an embedding model is chosen (see vectors.ts).
const V1 = `
CREATE TABLE memories (
  pk INTEGER PRIMARY KEY AUTOINCREMENT,
  id TEXT NOT NULL UNIQUE,
  text TEXT NOT NULL,
  session_id TEXT,
  user_id TEXT,
  namespace TEXT,
  memory_type TEXT NOT NULL,
  topics TEXT NOT NULL,
  entities TEXT NOT NULL,
  event_date INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_accessed INTEGER NOT NULL,
  access_count INTEGER NOT NULL DEFAULT 0,
  pinned INTEGER NOT NULL DEFAULT 0,
  importance REAL NOT NULL,
  memory_hash TEXT NOT NULL,
  discrete_memory_extracted TEXT NOT NULL,
  extraction_strategy TEXT NOT NULL,
  extraction_strategy_config TEXT NOT NULL,
  extracted_from TEXT NOT NULL,
  persisted_at INTEGER,
  metadata TEXT NOT NULL
);
CREATE INDEX memories_namespace ON memories (namespace);
CREATE INDEX memories_user_id ON memories (user_id);
CREATE INDEX memories_session_id ON memories (session_id);
CREATE INDEX memories_memory_hash ON memories (memory_hash);
CREATE INDEX memories_created_at ON memories (created_at);

CREATE TABLE memory_tags (
  memory_rowid INTEGER NOT NULL REFERENCES memories (pk) ON DELETE CASCADE,
  field TEXT NOT NULL,
  value TEXT NOT NULL,
  PRIMARY KEY (field, value, memory_rowid)
) WITHOUT ROWID;
CREATE INDEX memory_tags_memory ON memory_tags (memory_rowid);

CREATE VIRTUAL TABLE memories_fts USING fts5 (
  terms, context,
  content = '', contentless_delete = 1,
  tokenize = 'unicode61 remove_diacritics 2'
);

CREATE TABLE sessions (
  pk INTEGER PRIMARY KEY AUTOINCREMENT,
  session_id TEXT NOT NULL,
  namespace TEXT,
  user_id TEXT,
  context TEXT,
  data TEXT NOT NULL,
  memories TEXT NOT NULL,
  tokens INTEGER NOT NULL DEFAULT 0,
  ttl_seconds INTEGER,
  expires_at INTEGER,
  long_term_memory_strategy TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  last_accessed INTEGER NOT NULL,
  version INTEGER NOT NULL
);
CREATE UNIQUE INDEX sessions_key ON sessions (session_id, ifnull(namespace, ''), ifnull(user_id, ''));
CREATE INDEX sessions_updated_at ON sessions (updated_at);
CREATE INDEX sessions_expires_at ON sessions (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE session_messages (
  session_pk INTEGER NOT NULL REFERENCES sessions (pk) ON DELETE CASCADE,
  seq INTEGER NOT NULL,
  id TEXT NOT NULL,
  role TEXT NOT NULL,
  content TEXT NOT NULL,
  created_at INTEGER NOT NULL,
  persisted_at INTEGER,
  discrete_memory_extracted TEXT NOT NULL,
  PRIMARY KEY (session_pk, seq),
  UNIQUE (session_pk, id)
);

CREATE TABLE embedding_cache (
  model TEXT NOT NULL,
  hash TEXT NOT NULL,
  vector BLOB NOT NULL,
  PRIMARY KEY (model, hash)
) WITHOUT ROWID;
`;

// Messages folded into the summary (or trimmed without an LLM) leave the session but stay for export:
// archived_at is set instead of deleting the row. Tasks are the durable background queue (store/tasks.ts).
const V2 = `
ALTER TABLE session_messages ADD COLUMN archived_at INTEGER;

CREATE TABLE tasks (
  id TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL,
  dedupe_key TEXT,
  attempts INTEGER NOT NULL DEFAULT 0,
  max_attempts INTEGER NOT NULL,
  run_at INTEGER NOT NULL,
  lease_owner TEXT,
  lease_until INTEGER,
  last_error TEXT,
  result TEXT,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  started_at INTEGER,
  completed_at INTEGER
) WITHOUT ROWID;
CREATE INDEX tasks_pending ON tasks (run_at) WHERE status = 'pending';
CREATE INDEX tasks_running ON tasks (lease_until) WHERE status = 'running';
CREATE INDEX tasks_finished ON tasks (completed_at) WHERE status IN ('success', 'failed');
CREATE UNIQUE INDEX tasks_pending_key ON tasks (dedupe_key) WHERE status = 'pending' AND dedupe_key IS NOT NULL;
`;

// Search joins each full-text match (and each vector candidate) to its memory for the filter, the id and the times
// recency needs: memories_search holds all of those for the common filters, in far fewer pages than the rows.
// memory_counts keeps, per namespace ('ns:' || namespace) and overall ('*'), how many memories there are, so that
// search knows at once a filter's total and whether a namespace filter keeps every memory (see search.ts).
// The vector tables' change is in `run` (see VectorIndex.upgradeToCodes).
const V3 = `
CREATE INDEX memories_search ON memories (pk, namespace, user_id, session_id, memory_type, pinned, id, created_at, last_accessed);

CREATE TABLE memory_counts (key TEXT PRIMARY KEY, n INTEGER NOT NULL) WITHOUT ROWID;
INSERT INTO memory_counts (key, n) SELECT '*', count(*) FROM memories;
INSERT INTO memory_counts (key, n)
  SELECT 'ns:' || namespace, count(*) FROM memories WHERE namespace IS NOT NULL GROUP BY namespace;
CREATE TRIGGER memory_counts_insert AFTER INSERT ON memories BEGIN
  UPDATE memory_counts SET n = n + 1 WHERE key = '*';
  INSERT INTO memory_counts (key, n) SELECT 'ns:' || NEW.namespace, 1 WHERE NEW.namespace IS NOT NULL
    ON CONFLICT (key) DO UPDATE SET n = n + 1;
END;
CREATE TRIGGER memory_counts_delete AFTER DELETE ON memories BEGIN
  UPDATE memory_counts SET n = n - 1 WHERE key IN ('*', 'ns:' || OLD.namespace);
END;
CREATE TRIGGER memory_counts_move AFTER UPDATE OF namespace ON memories
WHEN OLD.namespace IS NOT NEW.namespace BEGIN
  UPDATE memory_counts SET n = n - 1 WHERE key = 'ns:' || OLD.namespace;
  INSERT INTO memory_counts (key, n) SELECT 'ns:' || NEW.namespace, 1 WHERE NEW.namespace IS NOT NULL
    ON CONFLICT (key) DO UPDATE SET n = n + 1;
END;
`;

// Search hits also carry importance (and pinned), which ranking weighs: the covering index holds it too.
const V4 = `
DROP INDEX memories_search;
CREATE INDEX memories_search ON memories (pk, namespace, user_id, session_id, memory_type, pinned, id, created_at, last_accessed, importance);
`;

// The activity stream and each memory's history (store/sqlite/activity.ts). `body` holds the records before and
// after a memory event and the event's details, as JSON.
const V5 = `
CREATE TABLE activity (
  seq INTEGER PRIMARY KEY AUTOINCREMENT,
  at INTEGER NOT NULL,
  action TEXT NOT NULL,
  resource TEXT NOT NULL,
  target_id TEXT NOT NULL,
  namespace TEXT,
  user_id TEXT,
  session_id TEXT,
  actor TEXT NOT NULL,
  body TEXT NOT NULL
);
CREATE INDEX activity_target ON activity (target_id, seq);
CREATE INDEX activity_namespace ON activity (namespace, seq);
CREATE INDEX activity_user ON activity (user_id, seq);
CREATE INDEX activity_at ON activity (at);
`;

// Scheduled compaction looks only at memories changed since its previous run.
const V6 = `CREATE INDEX memories_updated_at ON memories (updated_at);`;

// Summary views and their partition results (core/summary-views.ts); the JSON bodies are the store port's records.
const V7 = `
CREATE TABLE summary_views (
  id TEXT PRIMARY KEY,
  created_at INTEGER NOT NULL,
  body TEXT NOT NULL
);
CREATE TABLE summary_view_partitions (
  view_id TEXT NOT NULL,
  partition_key TEXT NOT NULL,
  body TEXT NOT NULL,
  PRIMARY KEY (view_id, partition_key)
) WITHOUT ROWID;
`;

/**
 * The full-text table of migration 8, which stored its rows (the analysed terms and context) so that deletes keep
 * BM25's statistics exact; migration 12 moves those rows to `memory_terms`, compressed (keyword-rows.ts).
 */
const V8_KEYWORD_TABLE_SQL = `
CREATE VIRTUAL TABLE memories_fts USING fts5 (
  terms, context,
  tokenize = 'unicode61 remove_diacritics 2 categories ''L* N* Co M*'''
);`;

/** Set while the keyword index lacks the memories' terms (after migration 8): the engine rebuilds it on open. */
export const KEYWORD_REBUILD_KEY = 'keyword_index_rebuild';

// The terms come from the records through the engine's analyser, which the store does not have: the new table is
// left empty and flagged, and the engine fills it on open.
const V8 = `
DROP TABLE memories_fts;
${V8_KEYWORD_TABLE_SQL}
INSERT INTO meta (key, value) SELECT '${KEYWORD_REBUILD_KEY}', 'pending' WHERE EXISTS (SELECT 1 FROM memories);
`;

// Agent memories (issue 15): the agent, its step, where (loc_kind 1 = {x, y}, 2 = {lat, lon} stored as x = lon,
// y = lat) and the structured content. The R*Tree holds each located memory's point (float32 boxes, rounded
// outward, so it is a first cut the exact column test follows); triggers keep it in step with every write.
const V9 = `
ALTER TABLE memories ADD COLUMN agent_id TEXT;
ALTER TABLE memories ADD COLUMN step_number INTEGER;
ALTER TABLE memories ADD COLUMN loc_kind INTEGER;
ALTER TABLE memories ADD COLUMN loc_x REAL;
ALTER TABLE memories ADD COLUMN loc_y REAL;
ALTER TABLE memories ADD COLUMN content TEXT;
CREATE INDEX memories_agent_step ON memories (agent_id, step_number) WHERE agent_id IS NOT NULL;
CREATE INDEX memories_step ON memories (step_number) WHERE step_number IS NOT NULL;
CREATE INDEX memories_importance ON memories (importance);
CREATE INDEX memories_type_importance ON memories (memory_type, importance);
CREATE VIRTUAL TABLE memories_rtree USING rtree (pk, min_x, max_x, min_y, max_y, +kind);
CREATE TRIGGER memories_rtree_insert AFTER INSERT ON memories WHEN new.loc_kind IS NOT NULL BEGIN
  INSERT INTO memories_rtree (pk, min_x, max_x, min_y, max_y, kind)
  VALUES (new.pk, new.loc_x, new.loc_x, new.loc_y, new.loc_y, new.loc_kind);
END;
CREATE TRIGGER memories_rtree_update AFTER UPDATE OF loc_kind, loc_x, loc_y ON memories BEGIN
  DELETE FROM memories_rtree WHERE pk = old.pk;
  INSERT INTO memories_rtree (pk, min_x, max_x, min_y, max_y, kind)
  SELECT new.pk, new.loc_x, new.loc_x, new.loc_y, new.loc_y, new.loc_kind WHERE new.loc_kind IS NOT NULL;
END;
CREATE TRIGGER memories_rtree_delete AFTER DELETE ON memories BEGIN
  DELETE FROM memories_rtree WHERE pk = old.pk;
END;
`;

// Memory tiers of agent memories (issue 15): the tier and the step its limits count from; memories stored before
// tiers existed are full detail, so they are STM from their own step.
const V10 = `
ALTER TABLE memories ADD COLUMN memory_tier TEXT;
ALTER TABLE memories ADD COLUMN tier_step INTEGER;
UPDATE memories SET memory_tier = 'stm', tier_step = COALESCE(step_number, 0)
  WHERE memory_type IN ('state', 'action', 'interaction');
CREATE INDEX memories_agent_tier ON memories (agent_id, memory_tier, tier_step) WHERE memory_tier IS NOT NULL;
`;

/** Append only: a released migration is never edited, a change is a new version. */
const MIGRATIONS: readonly Migration[] = [
  { version: 1, description: 'long-term memories, tags, full-text index, sessions, embedding cache', sql: V1 },
  { version: 2, description: 'archived session messages, background tasks', sql: V2 },
  {
    version: 3,
    description: 'search: binary-code vec0 index instead of the float one, covering index for search joins',
    sql: V3,
    run: (db) => {
      const stmts = new StatementCache(db);
      new VectorIndex(db, stmts, new Meta(stmts)).upgradeToCodes();
    },
  },
  { version: 4, description: 'search: importance in the covering index', sql: V4 },
  { version: 5, description: 'activity stream and memory history', sql: V5 },
  { version: 6, description: 'index on updated_at (incremental compaction)', sql: V6 },
  { version: 7, description: 'summary views and their partition results', sql: V7 },
  {
    version: 8,
    description: 'keyword index: exact BM25 statistics after deletes, marks inside words (rebuilt on open)',
    sql: V8,
  },
  { version: 9, description: 'agent memories: agent, step, location (R*Tree), content', sql: V9 },
  { version: 10, description: 'agent memory tiers (STM, IM, LTM)', sql: V10 },
  {
    version: 11,
    description: 'vectors as signed bytes and a scale, with the hash of the text each was embedded from',
    sql: '',
    run: (db) => {
      const stmts = new StatementCache(db);
      const meta = new Meta(stmts);
      quantizeStoredVectors(db, new VectorIndex(db, stmts, meta), meta);
    },
  },
  {
    version: 12,
    description: 'contentless keyword index, its rows kept compressed beside it',
    sql: '',
    run: moveKeywordRows,
  },
  {
    version: 13,
    description: "the engine's memory hashes as 32 bytes instead of 64 hex digits (memory-rows.ts storedHash)",
    sql: `UPDATE memories SET memory_hash = unhex(memory_hash)
          WHERE typeof(memory_hash) = 'text' AND length(memory_hash) = 64 AND memory_hash NOT GLOB '*[^0-9a-f]*';`,
  },
  {
    // An AFTER INSERT trigger makes every insert into memories keep a statement journal of each page it touches
    // (the trigger could fail half way): 93 µs a row instead of 40 in a batch of 500. MemoryRepo does both instead.
    version: 14,
    description: 'memory counts and the R*Tree row of a new memory written by the insert, not by triggers',
    sql: 'DROP TRIGGER IF EXISTS memory_counts_insert; DROP TRIGGER IF EXISTS memories_rtree_insert;',
  },
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;

function readVersion(db: Db): number {
  const hasMeta = db.prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'meta'").get();
  if (!hasMeta) return 0;
  const row = db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").get() as { value: string } | undefined;
  return row ? Number(row.value) : 0;
}

/**
 * Brings the schema up to date. Each migration runs in its own IMMEDIATE transaction that re-reads the version,
 * so processes opening a fresh file at the same moment apply each migration exactly once.
 */
export function migrate(db: Db): number {
  const start = readVersion(db);
  if (start > LATEST_SCHEMA_VERSION) {
    throw new MemoryError(
      'unavailable',
      `This database has schema version ${start}, newer than this server understands (${LATEST_SCHEMA_VERSION}). Upgrade agent-memory.`,
    );
  }
  if (start === LATEST_SCHEMA_VERSION) return start;
  for (const m of MIGRATIONS) {
    db.transaction(() => {
      db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID');
      if (readVersion(db) >= m.version) return;
      db.exec(m.sql);
      m.run?.(db);
      db.prepare(
        "INSERT INTO meta (key, value) VALUES ('schema_version', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
      ).run(String(m.version));
    }).immediate();
  }
  return readVersion(db);
}
