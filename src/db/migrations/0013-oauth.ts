import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Frozen. The OAuth 2.1 authorization server for remote MCP clients (docs/oauth.md):
 * - `oauth_clients`: clients registered by Dynamic Client Registration (`kind` 'dcr'; a client
 *   secret, when one was issued, only as its SHA-256) and Client ID Metadata Documents fetched
 *   from their https client_id URL (`kind` 'cimd', the row is a cache until `expires_at`);
 *   `used_at` is set when a client first gets tokens, so unused registrations can be dropped;
 * - `oauth_codes`: authorization codes by the SHA-256 of the code, single use (`used_at` set by
 *   one conditional UPDATE), bound to client, redirect_uri, PKCE challenge, resource, scope,
 *   project and owner; `grant_id` names what the code was exchanged for, so a replayed code
 *   revokes it;
 * - `oauth_grants`: an owner's consent: one client, one project, its scope and resource;
 *   `revoked_at` ends every token of it at once;
 * - `oauth_tokens`: access and refresh tokens of a grant, stored only as SHA-256 hashes; a
 *   refresh token's `used_at` is set when it is rotated (presenting it again revokes the grant);
 * - `oauth_assertion_jtis`: the `jti` of each private_key_jwt client assertion seen (SHA-256 of
 *   client and jti), kept until the assertion expires, so one cannot be replayed.
 * Grants and codes name their client by id without a foreign key: a CIMD row is replaced when the
 * document is fetched again, and the grant stays.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  await db.schema
    .createTable('oauth_clients')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('name', 'text')
    .addColumn('redirect_uris', 'text', (c) => c.notNull())
    .addColumn('auth_method', 'text', (c) => c.notNull())
    .addColumn('secret_hash', 'text')
    .addColumn('jwks', 'text')
    .addColumn('jwks_uri', 'text')
    .addColumn('metadata', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('expires_at', 'text')
    .execute();
  await db.schema.createIndex('oauth_clients_kind_created').on('oauth_clients').columns(['kind', 'created_at']).execute();

  await db.schema
    .createTable('oauth_codes')
    .addColumn('code_hash', 'text', (c) => c.primaryKey())
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('owners.id').onDelete('cascade'))
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('redirect_uri', 'text', (c) => c.notNull())
    .addColumn('code_challenge', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .addColumn('grant_id', 'text')
    .execute();
  await db.schema.createIndex('oauth_codes_expires').on('oauth_codes').column('expires_at').execute();

  await db.schema
    .createTable('oauth_grants')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('owner_id', 'text', (c) => c.notNull().references('owners.id').onDelete('cascade'))
    .addColumn('client_id', 'text', (c) => c.notNull())
    .addColumn('client_name', 'text')
    .addColumn('project_id', 'text', (c) => c.notNull().references('projects.id').onDelete('cascade'))
    .addColumn('scope', 'text', (c) => c.notNull())
    .addColumn('resource', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('last_used_at', 'text', (c) => c.notNull())
    .addColumn('revoked_at', 'text')
    .execute();
  await db.schema.createIndex('oauth_grants_project').on('oauth_grants').column('project_id').execute();
  await db.schema.createIndex('oauth_grants_client').on('oauth_grants').column('client_id').execute();

  await db.schema
    .createTable('oauth_tokens')
    .addColumn('token_hash', 'text', (c) => c.primaryKey())
    .addColumn('grant_id', 'text', (c) => c.notNull().references('oauth_grants.id').onDelete('cascade'))
    .addColumn('kind', 'text', (c) => c.notNull())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .addColumn('used_at', 'text')
    .execute();
  await db.schema.createIndex('oauth_tokens_grant').on('oauth_tokens').column('grant_id').execute();
  await db.schema.createIndex('oauth_tokens_expires').on('oauth_tokens').column('expires_at').execute();

  await db.schema
    .createTable('oauth_assertion_jtis')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('expires_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('oauth_assertion_jtis_expires').on('oauth_assertion_jtis').column('expires_at').execute();
}
