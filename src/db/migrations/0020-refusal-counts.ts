import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';
import { refusedCondition } from './0014-seller-downloads.js';

/**
 * Rebuilds the refusal counters from the attempt log (this migration's backfill; also used after
 * an import or a bulk load that bypasses the service). Counts exactly the rows of the 0014
 * refusals index (refusedCondition), by the UTC day of `at`. Same SQL on SQLite and PostgreSQL.
 */
export async function rebuildRefusalCounts(db: Kysely<unknown>): Promise<void> {
  await sql`delete from download_refused_daily`.execute(db);
  await sql`insert into download_refused_daily (project_id, day, outcome, attempts)
    select project_id, substr(at, 1, 10), outcome, count(*) from download_events where ${refusedCondition()}
    group by project_id, substr(at, 1, 10), outcome`.execute(db);
}

/**
 * Frozen. Refused attempts per project, day and outcome, kept in the same transaction as each
 * refusal's download_events row. get-stats read refusals per reason and per day from the 0014
 * partial index, which visits every refusal of the window (1.25 million in the scale bench: 0.85 s
 * on SQLite); it now sums at most one row per day and reason, as downloads do (download_daily).
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('download_refused_daily')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('day', 'text', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('attempts', 'integer', (c) => c.notNull())
    .addPrimaryKeyConstraint('download_refused_daily_pk', ['project_id', 'day', 'outcome'])
    .execute();
  await rebuildRefusalCounts(db);
}
