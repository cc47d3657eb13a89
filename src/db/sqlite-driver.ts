import type SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  IdentifierNode,
  RawNode,
  SelectQueryNode,
  createQueryId,
  type DatabaseConnection,
  type Driver,
  type QueryCompiler,
  type QueryResult,
} from 'kysely';
import { statement } from './statements.js';

export interface SqliteDriverConfig {
  /** The open better-sqlite3 handle; the driver closes it on destroy, as Kysely's does. */
  readonly database: SQLite.Database;
}

/**
 * Kysely's SqliteDriver (kysely/src/dialect/sqlite/sqlite-driver.ts), with two differences:
 *
 * - Transactions start with BEGIN IMMEDIATE: the write lock is taken up front, so writers from
 *   several processes on one file wait for each other (busy_timeout) instead of one failing
 *   mid-way with SQLITE_BUSY when it upgrades its read lock.
 * - Queries run through the handle's one cache of prepared statements (see `statement`), which
 *   the synchronous hot paths share: Kysely's connection prepares every query again, about
 *   ten microseconds each.
 *
 * Like Kysely's, it has one connection (the handle), and a mutex makes every acquire wait until
 * the previous holder releases it: a query outside a transaction waits for an open transaction
 * to end instead of running inside it. What bypasses the mutex (syncRead, group commit,
 * readGeneration) checks `sqlite.inTransaction` instead, true from a Kysely transaction's BEGIN to
 * its COMMIT or ROLLBACK.
 */
export class SqliteDriver implements Driver {
  private readonly db: SQLite.Database;
  private readonly connection: SqliteConnection;
  private readonly mutex = new ConnectionMutex();

  constructor(config: SqliteDriverConfig) {
    this.db = config.database;
    this.connection = new SqliteConnection(config.database);
  }

  async init(): Promise<void> {
    // The handle is open and configured (pragmas) before the driver is made.
  }

  async acquireConnection(): Promise<DatabaseConnection> {
    // SQLite has one connection: wait until whoever holds it releases it.
    await this.mutex.lock();
    return this.connection;
  }

  async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }

  async commitTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('commit'));
  }

  async rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('rollback'));
  }

  async savepoint(connection: DatabaseConnection, savepointName: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compileQuery(savepointCommand('savepoint', savepointName), createQueryId()));
  }

  async rollbackToSavepoint(connection: DatabaseConnection, savepointName: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compileQuery(savepointCommand('rollback to', savepointName), createQueryId()));
  }

  async releaseSavepoint(connection: DatabaseConnection, savepointName: string, compileQuery: QueryCompiler['compileQuery']): Promise<void> {
    await connection.executeQuery(compileQuery(savepointCommand('release', savepointName), createQueryId()));
  }

  async releaseConnection(): Promise<void> {
    this.mutex.unlock();
  }

  async destroy(): Promise<void> {
    this.db.close();
  }
}

/** `savepoint "name"` and its kin, the name quoted by the compiler (as Kysely's parseSavepointCommand). */
function savepointCommand(command: 'savepoint' | 'rollback to' | 'release', savepointName: string): RawNode {
  return RawNode.createWithChildren([RawNode.createWithSql(`${command} `), IdentifierNode.create(savepointName)]);
}

class SqliteConnection implements DatabaseConnection {
  constructor(private readonly db: SQLite.Database) {}

  executeQuery<R>(compiledQuery: CompiledQuery): Promise<QueryResult<R>> {
    const st = statement(this.db, compiledQuery.sql);
    const params = compiledQuery.parameters as unknown[];
    if (st.reader) return Promise.resolve({ rows: st.all(...params) as R[] });
    const { changes, lastInsertRowid } = st.run(...params);
    return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
  }

  async *streamQuery<R>(compiledQuery: CompiledQuery, _chunkSize?: number): AsyncIterableIterator<QueryResult<R>> {
    const { sql, parameters, query } = compiledQuery;
    if (!SelectQueryNode.is(query)) throw new Error('Sqlite driver only supports streaming of select queries');
    // A statement of its own, not the cached one: a statement being iterated is busy, and a
    // synchronous read of the same SQL would fail while this stream is open.
    const st = this.db.prepare(sql);
    for (const row of st.iterate(...(parameters as unknown[]))) yield { rows: [row as R] };
  }
}

/** Kysely's: a lock whose waiters each retry once the holder unlocks. */
class ConnectionMutex {
  private promise?: Promise<void> | undefined;
  private resolve?: (() => void) | undefined;

  async lock(): Promise<void> {
    while (this.promise) await this.promise;
    this.promise = new Promise((resolve) => {
      this.resolve = resolve;
    });
  }

  unlock(): void {
    const resolve = this.resolve;
    this.promise = undefined;
    this.resolve = undefined;
    resolve?.();
  }
}
