import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/** Rebuilds the path index from pages and assets (this migration's backfill; also after an import). */
export async function rebuildSitePaths(db: Kysely<unknown>): Promise<void> {
  await sql`delete from site_paths`.execute(db);
  await sql`insert into site_paths (project_id, path, kind) select project_id, slug, 'page' from pages`.execute(db);
  // A page and an asset at one path can exist from before this constraint (a lost race): the page keeps the path.
  await sql`insert into site_paths (project_id, path, kind)
    select a.project_id, a.slug, 'asset' from assets a
    where not exists (select 1 from pages p where p.project_id = a.project_id and p.slug = a.slug)`.execute(db);
}

/**
 * Frozen. Pages and assets share a site's URL space; `site_paths` holds one row per taken path, so
 * the database itself refuses a second page or asset at a path, also when two instances race.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('site_paths')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('path', 'text', (c) => c.notNull())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('site_paths_pk', ['project_id', 'path'])
    .execute();
  await rebuildSitePaths(db);
}
