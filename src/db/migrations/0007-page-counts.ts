import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/** Recounts every project's pages (this migration's backfill; also after an import or a bulk load). */
export async function rebuildPageCounts(db: Kysely<unknown>): Promise<void> {
  await sql`update projects set page_count = (select count(*) from pages where pages.project_id = projects.id)`.execute(db);
}

/**
 * Frozen. `projects.page_count`, kept in the same transaction as every page create and delete (with
 * the site's generation), so pages_list and project_status answer their total without counting rows.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('projects').addColumn('page_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await rebuildPageCounts(db);
}
