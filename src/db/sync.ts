import type { CompiledQuery } from 'kysely';
import type { Db } from './connect.js';

type Statement = { all(...params: unknown[]): unknown[]; run(...params: unknown[]): unknown };
const cache = new WeakMap<object, Map<string, Statement>>();

/**
 * Runs Kysely-compiled queries synchronously on SQLite, as one IMMEDIATE transaction, with cached
 * prepared statements: the same SQL as everywhere, without an await between statements (so 64
 * concurrent requests do not queue behind one open transaction). Returns undefined where that is
 * not possible (PostgreSQL, or an async transaction is open on the connection); callers then use
 * the ordinary async path.
 */
function statement(sqlite: NonNullable<Db['sqlite']>, sql: string): Statement {
  let stmts = cache.get(sqlite);
  if (!stmts) cache.set(sqlite, (stmts = new Map()));
  let st = stmts.get(sql);
  if (!st) stmts.set(sql, (st = sqlite.prepare(sql) as unknown as Statement));
  return st;
}

/** One read, synchronously with a cached prepared statement on SQLite; undefined elsewhere. */
export function syncRead<R>(db: Db, q: CompiledQuery<R>): R[] | undefined {
  if (!db.sqlite) return undefined;
  return statement(db.sqlite, q.sql).all(...(q.parameters as unknown[])) as R[];
}

export function syncTransaction<T>(db: Db, fn: (all: <R>(q: CompiledQuery<R>) => R[]) => T): { value: T } | undefined {
  const sqlite = db.sqlite;
  if (!sqlite || sqlite.inTransaction) return undefined;
  const all = <R>(q: CompiledQuery<R>): R[] => {
    const st = statement(sqlite, q.sql);
    const params = q.parameters as unknown[];
    return (st as unknown as { reader: boolean }).reader ? (st.all(...params) as R[]) : (st.run(...params), []);
  };
  return { value: sqlite.transaction(() => fn(all)).immediate() };
}
