import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  Kysely,
  Migrator,
  PostgresDialect,
  SqliteDialect,
  type DatabaseConnection,
  type Dialect as KyselyDialect,
  type Driver,
  type Migration as KyselyMigration,
  type MigrationProvider,
  type QueryResult,
  sql,
} from 'kysely';
import { ChangeSignal } from './change-signal.js';
import { MIGRATIONS } from './migrations/index.js';
import { BUSY_TIMEOUT_MS, statement } from './sync.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Db {
  readonly kysely: Kysely<Database>;
  readonly dialect: Dialect;
  /** The raw SQLite handle, for the few hot-path reads that use a prepared statement directly. */
  readonly sqlite?: SQLite.Database;
  /** SQLite in a data folder: the cross-process change signal beside the database file. */
  readonly changes?: ChangeSignal;
  close(): Promise<void>;
}

export interface OpenOptions {
  /** A postgres:// URL selects PostgreSQL; otherwise SQLite in `dataDir`. */
  databaseUrl?: string | undefined;
  /** Data folder for the SQLite file; `:memory:` for a throwaway database. */
  dataDir?: string;
  /** Tests pass a ready Kysely dialect (for example embedded PostgreSQL). */
  dialect?: { kysely: KyselyDialect; name: Dialect };
}


/**
 * SQLite transactions start with BEGIN IMMEDIATE: the write lock is taken up front, so writers from
 * several processes on one file wait for each other (busy_timeout) instead of failing mid-way.
 */
const cachedConnections = new WeakSet<DatabaseConnection>();

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly sqlite: SQLite.Database) {
    super({ database: sqlite });
  }

  override createDriver(): Driver {
    const driver = super.createDriver();
    driver.beginTransaction = async (connection: DatabaseConnection): Promise<void> => {
      await connection.executeQuery(CompiledQuery.raw('begin immediate'));
    };
    // Kysely's SQLite connection prepares every query again (tens of microseconds each); run them
    // through the same per-handle cache of prepared statements as the hot paths instead.
    const acquire = driver.acquireConnection.bind(driver);
    const sqlite = this.sqlite;
    driver.acquireConnection = async (): Promise<DatabaseConnection> => {
      const connection = await acquire();
      if (cachedConnections.has(connection)) return connection;
      cachedConnections.add(connection);
      connection.executeQuery = <R>(q: CompiledQuery): Promise<QueryResult<R>> => {
        const st = statement(sqlite, q.sql);
        const params = q.parameters as unknown[];
        if (st.reader) return Promise.resolve({ rows: st.all(...params) as R[] });
        const { changes, lastInsertRowid } = st.run(...params);
        return Promise.resolve({ numAffectedRows: BigInt(changes), insertId: BigInt(lastInsertRowid), rows: [] });
      };
      return connection;
    };
    return driver;
  }
}

export function isPostgresUrl(url: string | undefined): url is string {
  return !!url && /^postgres(ql)?:\/\//i.test(url);
}

export function openDb(options: OpenOptions): Db {
  if (options.dialect) {
    const kysely = new Kysely<Database>({ dialect: options.dialect.kysely });
    return { kysely, dialect: options.dialect.name, close: () => kysely.destroy() };
  }
  if (isPostgresUrl(options.databaseUrl)) {
    const url = options.databaseUrl;
    // pg is loaded on first use, so SQLite installs and `sitepub mcp` start without it.
    const pool = async () => {
      const pg = (await import('pg')).default;
      // PostgreSQL returns int8 (count(*), bigserial) as text by default; our numbers stay far below 2^53.
      pg.types.setTypeParser(20, (v: string) => Number.parseInt(v, 10));
      return new pg.Pool({ connectionString: url, max: 10 });
    };
    const kysely = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
    return { kysely, dialect: 'postgres', close: () => kysely.destroy() };
  }
  const dataDir = options.dataDir ?? './data';
  let file = ':memory:';
  if (dataDir !== ':memory:') {
    mkdirSync(dataDir, { recursive: true });
    file = path.join(dataDir, 'sitepub.db');
  }
  const sqlite = new SQLite(file);
  sqlite.pragma('journal_mode = WAL');
  sqlite.pragma('synchronous = NORMAL');
  sqlite.pragma('foreign_keys = ON');
  sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  const kysely = new Kysely<Database>({ dialect: new ImmediateSqliteDialect(sqlite) });
  if (file === ':memory:') return { kysely, dialect: 'sqlite', sqlite, close: () => kysely.destroy() };
  const changes = new ChangeSignal(path.join(dataDir, 'sitepub.changes'));
  return {
    kysely,
    dialect: 'sqlite',
    sqlite,
    changes,
    close: async () => {
      await kysely.destroy();
      changes.close();
    },
  };
}

/** Applies pending migrations. Kysely's migrator takes a lock, so several instances may start at once. */
export async function migrate(db: Db): Promise<string[]> {
  const provider: MigrationProvider = {
    async getMigrations(): Promise<Record<string, KyselyMigration>> {
      const out: Record<string, KyselyMigration> = {};
      for (const m of MIGRATIONS) out[m.name] = { up: (k) => m.up(k, db.dialect) };
      return out;
    },
  };
  // Kysely looks for its bookkeeping tables in every schema; name ours, so instances sharing one
  // PostgreSQL database in different schemas (search_path) never see each other's.
  const migrationTableSchema =
    db.dialect === 'postgres' ? (await sql<{ s: string }>`select current_schema() as s`.execute(db.kysely)).rows[0]?.s : undefined;
  const migrator = new Migrator({ db: db.kysely, provider, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
