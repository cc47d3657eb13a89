import { mkdirSync } from 'node:fs';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import {
  Kysely,
  Migrator,
  type Dialect as KyselyDialect,
  type Migration as KyselyMigration,
  type MigrationProvider,
  sql,
} from 'kysely';
import { ChangeSignal } from './change-signal.js';
import { MIGRATIONS } from './migrations/index.js';
import { SqliteDialect } from './sqlite-dialect.js';
import { BUSY_TIMEOUT_MS } from './group-commit.js';
import type { Database } from './schema.js';
import { ScopedPostgresDialect } from './postgres-dialect.js';

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
    const kysely = new Kysely<Database>({ dialect: new ScopedPostgresDialect({ pool }) });
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
  // 4 MiB of page cache for a database file (better-sqlite3 builds with 16 MiB): file chunks are
  // 1 MiB rows, and every upload or download passes them through this cache, so a larger one mostly
  // fills with file pages that are not read again: 17-20 MB of a serve process's peak while a 200 MB
  // file streams (bench/large-file.ts). The scale bench's list and stats queries did not move.
  if (file !== ':memory:') sqlite.pragma('cache_size = -4096');
  const kysely = new Kysely<Database>({ dialect: new SqliteDialect({ database: sqlite }) });
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
  // Byte order, not Kysely's default localeCompare: the order then cannot depend on the machine's ICU
  // data or locale (the names are zero-padded numbers, so both agree on every name shipped so far).
  const nameComparator = (x: string, y: string): number => (x < y ? -1 : x > y ? 1 : 0);
  const migrator = new Migrator({ db: db.kysely, provider, nameComparator, ...(migrationTableSchema ? { migrationTableSchema } : {}) });
  const { error, results } = await migrator.migrateToLatest();
  if (error) throw error instanceof Error ? error : new Error(String(error));
  return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
}
