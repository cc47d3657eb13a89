import { sql, type Kysely } from 'kysely';
import type { Dialect } from '../connect.js';

/** The chunk size of the blobs this migration moves (new blobs record their own, src/core/blob-store.ts). */
const CHUNK_BYTES = 1024 * 1024;

/**
 * Frozen. Blobs in chunks, so files are written, read and served as streams (issue #15):
 * - `blob_chunks(storage_key, seq, data)`: 1 MiB pieces; a blob's bytes are its chunks in `seq`
 *   order. A Range reads only the chunks it covers.
 * - `blobs` keeps the content address (sha256, size) and says where its bytes are: `storage_key`,
 *   `chunk_bytes`, `chunk_count`. An upload writes its chunks under a key of its own while the
 *   bytes stream in (the content address is known only at the end), then points the blob row at
 *   them; no chunk is ever rewritten.
 * - `blob_staging`: the keys of uploads still streaming in, so chunks left by a process that died
 *   mid-upload are found and dropped.
 * Existing bytes move in place: cut into chunks by SQL (substr on SQLite, substring on
 * PostgreSQL; no file passes through this process's memory), then `blobs.data` goes. On SQLite
 * the whole move is one transaction (Kysely runs SQLite migrations outside one); on PostgreSQL the
 * migrator's transaction already holds it.
 */
export async function up(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  if (dialect === 'sqlite') await db.transaction().execute((tx) => move(tx, dialect));
  else await move(db, dialect);
}

async function move(db: Kysely<unknown>, dialect: Dialect): Promise<void> {
  const blob = dialect === 'postgres' ? 'bytea' : 'blob';
  await db.schema
    .createTable('blob_chunks')
    .addColumn('storage_key', 'text', (c) => c.notNull())
    .addColumn('seq', 'integer', (c) => c.notNull())
    .addColumn('data', sql.raw(blob), (c) => c.notNull())
    .addPrimaryKeyConstraint('blob_chunks_pk', ['storage_key', 'seq'])
    .execute();
  await db.schema
    .createTable('blob_staging')
    .addColumn('storage_key', 'text', (c) => c.primaryKey())
    .addColumn('created_at', 'text', (c) => c.notNull())
    .execute();
  await db.schema.createIndex('blob_staging_created').on('blob_staging').column('created_at').execute();
  await db.schema.alterTable('blobs').addColumn('storage_key', 'text', (c) => c.notNull().defaultTo('')).execute();
  await db.schema.alterTable('blobs').addColumn('chunk_bytes', 'integer', (c) => c.notNull().defaultTo(CHUNK_BYTES)).execute();
  await db.schema.alterTable('blobs').addColumn('chunk_count', 'integer', (c) => c.notNull().defaultTo(0)).execute();

  const cs = CHUNK_BYTES;
  const piece = (seq: number) =>
    dialect === 'postgres' ? sql`substring(data from ${sql.lit(seq * cs + 1)} for ${sql.lit(cs)})` : sql`substr(data, ${sql.lit(seq * cs + 1)}, ${sql.lit(cs)})`;
  const most = await sql<{ n: number | null }>`select max((size_bytes + ${sql.lit(cs - 1)}) / ${sql.lit(cs)}) as n from blobs`.execute(db);
  const chunks = Number(most.rows[0]?.n ?? 0);
  // One statement per chunk position, over every blob that long: a 100 MB file is 100 statements.
  for (let seq = 0; seq < chunks; seq++) {
    await sql`insert into blob_chunks (storage_key, seq, data) select sha256, ${sql.lit(seq)}, ${piece(seq)} from blobs where size_bytes > ${sql.lit(seq * cs)}`.execute(db);
  }
  await sql`update blobs set storage_key = sha256, chunk_bytes = ${sql.lit(cs)}, chunk_count = (size_bytes + ${sql.lit(cs - 1)}) / ${sql.lit(cs)}`.execute(db);
  await db.schema.alterTable('blobs').dropColumn('data').execute();
}
