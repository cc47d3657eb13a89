import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/**
 * Frozen. Page versions are stored as compressed keyframes or as small deltas from the version
 * before (`encoding`: raw | deflate | delta); pages track the current delta chain to decide when
 * the next keyframe is due. Existing rows stay `raw`, which is read as a keyframe.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  await db.schema.alterTable('page_versions').addColumn('encoding', 'text', (c) => c.notNull().defaultTo('raw')).execute();
  await db.schema.alterTable('page_versions').addColumn('packed', sql.raw(blob)).execute();
  await db.schema.alterTable('pages').addColumn('chain_len', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('pages').addColumn('chain_bytes', 'integer', (c) => c.notNull().defaultTo(0)).execute();
  await db.schema.alterTable('pages').addColumn('key_bytes', 'integer', (c) => c.notNull().defaultTo(0)).execute();
}
