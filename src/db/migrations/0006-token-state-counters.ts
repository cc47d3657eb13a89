import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/** The expiry bucket of a token: its hour of expiry ('YYYY-MM-DDTHH'), or NO_EXPIRY. */
export const NO_EXPIRY = '9999-12-31T23';

/**
 * Rebuilds the token-state counters from the tokens themselves (this migration's backfill; also
 * used after a bulk load that bypasses the service). Same SQL on SQLite and PostgreSQL.
 */
export async function rebuildTokenCounters(db: Kysely<unknown>): Promise<void> {
  await sql`delete from download_token_daily`.execute(db);
  await sql`insert into download_token_daily (project_id, created_day, expiry_hour, tokens, revoked, exhausted)
    select project_id, substr(created_at, 1, 10), coalesce(substr(expires_at, 1, 13), ${sql.lit(NO_EXPIRY)}), count(*),
      sum(case when revoked_at is not null then 1 else 0 end),
      sum(case when revoked_at is null and max_uses > 0 and use_count >= max_uses then 1 else 0 end)
    from download_tokens
    group by project_id, substr(created_at, 1, 10), coalesce(substr(expires_at, 1, 13), ${sql.lit(NO_EXPIRY)})`.execute(db);
}

/**
 * Frozen. Token-state counters per project, day of creation and hour of expiry, kept in the same
 * transaction as every change of state (create, the use that exhausts, revoke). get-stats then sums a
 * few hundred counter rows and counts exactly only the tokens that expire in the current hour (by
 * the expiry index), instead of classifying every token of the window.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('download_token_daily')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('created_day', 'text', (c) => c.notNull())
    .addColumn('expiry_hour', 'text', (c) => c.notNull())
    .addColumn('tokens', 'integer', (c) => c.notNull())
    .addColumn('revoked', 'integer', (c) => c.notNull())
    .addColumn('exhausted', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('download_token_daily_pk', ['project_id', 'created_day', 'expiry_hour'])
    .execute();
  await db.schema.createIndex('download_tokens_project_expires').on('download_tokens').columns(['project_id', 'expires_at']).execute();
  await rebuildTokenCounters(db);
}
