/**
 * A plain identifier: the only kind of schema name the postgres store writes into SQL (quoted), so the same name
 * means the same schema in every statement. Its own module so that config.ts can check it without loading pg.
 */
export const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;
