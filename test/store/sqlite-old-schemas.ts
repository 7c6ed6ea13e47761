/**
 * SQL that takes a current SQLite database back to before migration 9 (the tiers of migration 10, then the agent
 * memory columns, R*Tree and indexes), for tests that rebuild what an older server left and open it with this one.
 */
export const UNDO_AGENT_COLUMNS = `
  DROP INDEX memories_agent_tier;
  ALTER TABLE memories DROP COLUMN memory_tier; ALTER TABLE memories DROP COLUMN tier_step;
  DROP TRIGGER memories_rtree_insert; DROP TRIGGER memories_rtree_update; DROP TRIGGER memories_rtree_delete;
  DROP TABLE memories_rtree; DROP INDEX memories_agent_step; DROP INDEX memories_step;
  DROP INDEX memories_importance; DROP INDEX memories_type_importance;
  ALTER TABLE memories DROP COLUMN agent_id; ALTER TABLE memories DROP COLUMN step_number;
  ALTER TABLE memories DROP COLUMN loc_kind; ALTER TABLE memories DROP COLUMN loc_x;
  ALTER TABLE memories DROP COLUMN loc_y; ALTER TABLE memories DROP COLUMN content;`;
