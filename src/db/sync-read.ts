import type { CompiledQuery } from 'kysely';
import type { Db } from './connect.js';
import { statement } from './statements.js';

/**
 * One read, synchronously with a cached prepared statement on SQLite; undefined elsewhere, and
 * while a transaction is open on the handle: Kysely's SQLite connection is this same handle, so a
 * read beside another request's unfinished transaction would see its uncommitted writes. Callers
 * then take the async path, which waits for Kysely's connection.
 */
export function syncRead<R>(db: Db, q: CompiledQuery<R>): R[] | undefined {
  if (!db.sqlite || db.sqlite.inTransaction) return undefined;
  return statement(db.sqlite, q.sql).all(...(q.parameters as unknown[])) as R[];
}
