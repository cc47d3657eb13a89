import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Frozen. Owner accounts and their sign-in (docs/owners.md):
 * - `owners`: one row per person who may sign in on the platform origin; `email` normalized
 *   (NFC, lower case) and unique; `password_hash` is a salted scrypt string with its parameters,
 *   or null for an owner who signs in by one-time link only;
 * - `owner_sessions`: a signed-in browser. `id` is the SHA-256 of the cookie's secret (the secret
 *   itself is never stored), so a stolen table signs no one in; `csrf_secret` is what the
 *   session's forms carry. Every instance reads the same rows: signing out anywhere ends it everywhere;
 * - `owner_login_links`: one-time sign-in links, by the SHA-256 of their token; `used_at` is set
 *   by one conditional UPDATE, so a link signs in once however many instances race on it.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('owners')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('email', 'text', (c) => c.notNull().unique())
    .addColumn('password_hash', 'text')
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();

  await db.schema
    .createTable('owner_sessions')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('owners.id').onDelete('cascade'))
    .addColumn('csrf_secret', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_seen_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('owner_sessions_owner').on('owner_sessions').column('owner_id').execute();
  await db.schema.createIndex('owner_sessions_expires').on('owner_sessions').column('expires_at').execute();
  await db.schema.createIndex('owner_sessions_last_seen').on('owner_sessions').column('last_seen_at').execute();

  await db.schema
    .createTable('owner_login_links')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('owners.id').onDelete('cascade'))
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('owner_login_links_owner').on('owner_login_links').column('owner_id').execute();
  await db.schema.createIndex('owner_login_links_expires').on('owner_login_links').column('expires_at').execute();
}
