import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Frozen. Downloads per project, day and file, kept up to date in the same transaction as each
 * download, so statistics read a few hundred rows instead of millions of attempts; and an index
 * for listing a visitor's tokens.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('download_daily')
    .addColumn('project_id', 'text', (c) => c.notNull())
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('asset_slug', 'text', (c) => c.notNull())
    .addColumn('downloads', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('download_daily_pk', ['project_id', 'day', 'asset_slug'])
    .execute();
  await sql`insert into download_daily (project_id, day, asset_slug, downloads)
    select project_id, substr(at, 1, 10), coalesce(asset_slug, ''), count(*) from download_events where outcome = 'ok'
    group by project_id, substr(at, 1, 10), coalesce(asset_slug, '')`.execute(db);
  await db.schema.createIndex('download_tokens_project_visitor').on('download_tokens').columns(['project_id', 'visitor_id', 'created_at']).execute();
}
