import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Frozen. `projects.changed_seq`: set to one more than the highest in the table by every write to a
 * site (with its generation). On SQLite writers take turns, so the numbers follow commit order and a
 * process that saw the change signal asks only for the sites changed since the last number it saw,
 * and drops only their cache entries (one write no longer empties every site's cache).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('projects').addColumn('changed_seq', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await sql`update projects set changed_seq = generation`.execute(db);
  await db.schema.createIndex('projects_changed_seq').on('projects').column('changed_seq').execute();
}
