import type { Kysely, Transaction } from 'kysely';
import type { Db } from '../db/connect.js';
import type { Database } from '../db/schema.js';

/**
 * Marks a site as changed, inside the write's own transaction, so other instances see it with the write;
 * `pagesAdded` (negative for deletes) keeps the project's page count with it.
 */
export async function bumpGeneration(tx: Kysely<Database> | Transaction<Database>, projectId: string, pagesAdded = 0): Promise<void> {
  await tx
    .updateTable('projects')
    .set((eb) => (pagesAdded ? { generation: eb('generation', '+', 1), page_count: eb('page_count', '+', pagesAdded) } : { generation: eb('generation', '+', 1) }))
    .where('id', '=', projectId)
    .execute();
}

const statements = new WeakMap<object, { get(id: string): unknown }>();

/**
 * The site's write generation: a prepared statement on SQLite (microseconds), a query on PostgreSQL,
 * and the same query while a transaction is open on the SQLite handle (a synchronous read then would
 * see that transaction's uncommitted bump).
 */
export function readGeneration(db: Db, projectId: string): number | Promise<number> {
  if (db.sqlite && !db.sqlite.inTransaction) {
    let st = statements.get(db.sqlite);
    if (!st) statements.set(db.sqlite, (st = db.sqlite.prepare('select generation from projects where id = ?').pluck()));
    return (st.get(projectId) as number | undefined) ?? -1;
  }
  return db.kysely
    .selectFrom('projects')
    .select('generation')
    .where('id', '=', projectId)
    .executeTakeFirst()
    .then((row) => row?.generation ?? -1);
}
