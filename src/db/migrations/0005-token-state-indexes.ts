import type { Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Frozen. Covering indexes for the token-state questions list-downloads and get-stats ask: with the
 * state columns in the index, counting and filtering by state needs no table rows.
 */
export async function up(db: Kysely<unknown>, _dialect: Dialect): Promise<void> {
  const state = ['revoked_at', 'expires_at', 'max_uses', 'use_count'];
  await db.schema.dropIndex('download_tokens_project_asset').execute();
  await db.schema.createIndex('download_tokens_project_asset_state').on('download_tokens').columns(['project_id', 'asset_slug', 'created_at', ...state]).execute();
  await db.schema.dropIndex('download_tokens_project_created').execute();
  await db.schema.createIndex('download_tokens_project_created_state').on('download_tokens').columns(['project_id', 'created_at', ...state]).execute();
}
