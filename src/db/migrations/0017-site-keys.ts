import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Frozen. `site_keys`: server-side secrets of the site features, by name, made once by whichever
 * instance needs one first (insert if absent, then read): `preview` signs the draft preview URLs
 * of page versions (src/core/sites/preview.ts), so every instance accepts every other's links.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('site_keys')
    .addColumn('name', 'text', (c) => c.primaryKey())
    .addColumn('value', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
}
