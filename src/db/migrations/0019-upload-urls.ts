import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Frozen. `upload_urls`: one-time URLs that take a file's raw bytes by PUT (CONTRACT section 10,
 * src/core/upload-urls.ts). The token is stored only as its SHA-256. A URL is bound to one project
 * and slug and to the upload's options (private, alt, overwrite); `claimed_at` is set by the one
 * conditional UPDATE that lets a PUT in (cleared again when that upload is refused), `used_at` in
 * the transaction that stores the asset. Rows go some time after they expire.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('upload_urls')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('token_hash', 'text', (c) => c.notNull().unique())
    .addColumn('slug', 'text', (c) => c.notNull())
    .addColumn('private', 'integer')
    .addColumn('alt', 'text')
    .addColumn('overwrite', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('claimed_at', 'text')
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('upload_urls_expires').on('upload_urls').column('expires_at').execute();
}
