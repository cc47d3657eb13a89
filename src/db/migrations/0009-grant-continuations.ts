import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Frozen. `download_tokens.grant_left`: how many Range continuations the open grant still serves
 * without a new use. A use sets it (to 16 at the time of writing) and each free continuation takes
 * one by a conditional UPDATE, so concurrent requests on any number of instances cannot exceed it.
 * Grants open at upgrade time get the full allowance, so a download in progress can still resume.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('download_tokens').addColumn('grant_left', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await sql`update download_tokens set grant_left = 16 where grant_fp is not null`.execute(db);
}
