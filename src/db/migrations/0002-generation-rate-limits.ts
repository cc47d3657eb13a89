import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Frozen. `projects.generation` counts writes to a site, so every instance can tell its cache of
 * published content is stale; `rate_limits` holds abuse counters all instances share.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('projects').addColumn('generation', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema
    .createTable('rate_limits')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('window_start', 'text', (c) => c.notNull())
    .addColumn('count', 'integer', (c) => c.notNull())
    .execute();
}
