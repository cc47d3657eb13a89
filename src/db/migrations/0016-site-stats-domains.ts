import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Frozen. Sites that are real (docs/sites-and-downloads.md):
 * - `site_views_daily`: page views per project, UTC day and page slug; `site_referrers_daily`:
 *   views per referring host (another site's host name only, never a full URL). Counted in memory
 *   and added by upserts (views = views + n), so any number of instances flush into one row.
 *   Nothing about the visitor is stored: no address, no user agent, no cookie.
 * - `site_domains`: a project's custom domains; `status` pending until the TXT record
 *   `txt_name` = `txt_value` is found, then verified (the site serves on that Host).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('site_views_daily')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('views', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('site_views_daily_pk', ['project_id', 'day', 'path'])
    .execute();
  await db.schema
    .createTable('site_referrers_daily')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('host', 'text', (c) => c.notNull())
    .addColumn('views', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('site_referrers_daily_pk', ['project_id', 'day', 'host'])
    .execute();
  await db.schema
    .createTable('site_domains')
    .addColumn('domain', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('txt_name', 'text', (c) => c.notNull())
    .addColumn('txt_value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('verified_at', 'text')
    .addColumn('checked_at', 'text')
    .execute();
  await db.schema.createIndex('site_domains_project').on('site_domains').columns(['project_id', 'domain']).execute();
}
