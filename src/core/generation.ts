import { sql, type Kysely, type Transaction } from 'kysely';
import type { Db } from '../db/connect.js';
import { statement } from '../db/statements.js';
import type { Database } from '../db/schema.js';

/**
 * Marks a site as changed, inside the write's own transaction, so other instances see it with the write;
 * `pagesAdded` (negative for deletes) keeps the project's page count with it. `changed_seq` orders
 * the changes for processes that follow them (see site-generations.ts).
 */
export async function bumpGeneration(tx: Kysely<Database> | Transaction<Database>, projectId: string, pagesAdded = 0): Promise<void> {
  await tx
    .updateTable('projects')
    .set((eb) => ({
      generation: eb('generation', '+', 1),
      changed_seq: sql<number>`(select coalesce(max(changed_seq), 0) + 1 from projects)`,
      ...(pagesAdded ? { page_count: eb('page_count', '+', pagesAdded) } : {}),
    }))
    .where('id', '=', projectId)
    .execute();
}

/**
 * The site's write generation: a prepared statement on SQLite (microseconds), a query on PostgreSQL,
 * and the same query while a transaction is open on the SQLite handle (a synchronous read then would
 * see that transaction's uncommitted bump).
 */
export function readGeneration(db: Db, projectId: string): number | Promise<number> {
  if (db.sqlite && !db.sqlite.inTransaction) {
    const row = statement(db.sqlite, 'select generation from projects where id = ?').get(projectId) as { generation: number } | undefined;
    return row?.generation ?? -1;
  }
  return db.kysely
    .selectFrom('projects')
    .select('generation')
    .where('id', '=', projectId)
    .executeTakeFirst()
    .then((row) => row?.generation ?? -1);
}

/**
 * Sites whose generation moved since change number `seq` (SQLite only, synchronously), with the
 * highest change number seen; undefined while a transaction is open on the handle (its rows are not
 * committed) or on PostgreSQL.
 */
export function readChangedSince(db: Db, seq: number): { seq: number; sites: Array<{ id: string; generation: number }> } | undefined {
  if (!db.sqlite || db.sqlite.inTransaction) return undefined;
  const rows = statement(db.sqlite, 'select id, generation, changed_seq from projects where changed_seq > ? order by changed_seq').all(seq) as Array<{ id: string; generation: number; changed_seq: number }>;
  return { seq: rows.length ? rows[rows.length - 1]!.changed_seq : seq, sites: rows };
}
