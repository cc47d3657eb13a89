import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/** Recounts every project's stored bytes (this migration's backfill; also after an import). */
export async function rebuildStorageCounts(db: Kysely<unknown>): Promise<void> {
  await sql`update projects set storage_bytes = coalesce((select sum(size_bytes) from assets where assets.project_id = projects.id), 0)`.execute(db);
}

/**
 * Frozen. Storage quotas and staged uploads:
 * - `projects.storage_bytes`, kept in the same transaction as every asset write, checked against
 *   `projects.storage_quota_bytes` (null: the server's default) by one conditional UPDATE, so
 *   concurrent uploads on any number of instances can never pass the quota together;
 * - `blob_holds`: blobs stored by an upload that has not committed its assets yet (a bulk upload
 *   stores item by item). A hold keeps the blob from being collected; its foreign key makes a
 *   racing collector fail (and keep the blob) rather than delete it.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema.alterTable('projects').addColumn('storage_bytes', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('projects').addColumn('storage_quota_bytes', 'bigint').execute();
  await rebuildStorageCounts(db);
  await db.schema
    .createTable('blob_holds')
    .addColumn('hold_id', 'text', (c) => c.notNull())
    .addColumn('sha256', 'text', (c) => c.notNull().references('blobs.sha256'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_holds_pk', ['hold_id', 'sha256'])
    .execute();
  await db.schema.createIndex('blob_holds_sha256').on('blob_holds').column('sha256').execute();
  await db.schema.createIndex('blob_holds_created').on('blob_holds').column('created_at').execute();
}
