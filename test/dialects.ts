import { PGlite } from '@electric-sql/pglite';
import {
  PostgresAdapter,
  PostgresIntrospector,
  PostgresQueryCompiler,
  type DatabaseConnection,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
  type TransactionSettings,
} from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { isPostgresUrl, openDb, type Db } from '../src/db/connect.js';
import { ScopedPostgresDialect } from '../src/db/postgres-dialect.js';

export type DialectName = 'sqlite' | 'postgres';

/** Every domain and tool suite runs on each: SQLite, and PostgreSQL (the real server when DATABASE_URL is set, else embedded PGlite). */
export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

export const REAL_PG_URL = isPostgresUrl(process.env.DATABASE_URL) ? process.env.DATABASE_URL : undefined;
export const pgLabel = REAL_PG_URL ? 'postgres (server)' : 'postgres (PGlite)';

/** A fresh, isolated database: in-memory SQLite, or a new schema on the server or in this file's PGlite. */
export async function openTestDb(kind: DialectName): Promise<{ db: Db; cleanup(): Promise<void> }> {
  if (kind === 'sqlite') {
    const db = openDb({ dataDir: ':memory:' });
    return { db, cleanup: () => db.close() };
  }
  if (REAL_PG_URL) return openServerSchema(REAL_PG_URL);
  return openLiteSchema();
}

async function openServerSchema(url: string): Promise<{ db: Db; cleanup(): Promise<void> }> {
  const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`create schema ${schema}`);
  await admin.end();
  const pool = new pg.Pool({ connectionString: url, options: `-c search_path=${schema}`, max: 10 });
  const db = openDb({ dialect: { kysely: new ScopedPostgresDialect({ pool }), name: 'postgres' } });
  return {
    db,
    cleanup: async () => {
      await db.close();
      const c = new pg.Client({ connectionString: url });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    },
  };
}

/**
 * One embedded PGlite per test file. Starting one and migrating it took 2 to 5 s and about 100 MB
 * per test; now each test database is a schema in the file's PGlite (vitest's forks pool runs
 * each file in its own process, so the PGlite lives and dies with the file).
 *
 * PGlite is one session. kysely-pglite-dialect serialises the connection per Kysely instance
 * only, so two instances on one PGlite would interleave: a query of one would run inside the
 * other's open transaction, under the other's search_path. Here every lease of the session, by
 * any test database of the file, goes through one FIFO lock (a transaction holds it from BEGIN to
 * COMMIT), and a lease first sets search_path to its database's schema when the session is on
 * another one. A SET outside a transaction stays for the session, and no lease starts inside a
 * transaction, so the schema a lease sees is its own. The cost: test databases of one file never
 * run queries at the same time (PGlite never did), and code that waits for database B while
 * holding a transaction on database A would deadlock (a per-instance PGlite would not).
 */
class SharedLite {
  private readonly lite = new PGlite();
  private held = false;
  private readonly waiting: Array<() => void> = [];
  /** The schema the session's search_path is set to. */
  private current: string | undefined;
  private schemas = 0;

  /** A dialect name for a new schema (unique in this process, which owns the PGlite). */
  nextSchema(): string {
    return `t_${++this.schemas}`;
  }

  /** Takes the session, on `schema`: resolves when every earlier lease is released. */
  async lease(schema: string): Promise<PGlite> {
    if (this.held) await new Promise<void>((resolve) => this.waiting.push(resolve));
    this.held = true;
    try {
      if (this.current !== schema) {
        await this.lite.exec(`set search_path to "${schema}"`);
        this.current = schema;
      }
    } catch (e) {
      this.release();
      throw e;
    }
    return this.lite;
  }

  release(): void {
    const next = this.waiting.shift();
    if (next) next(); // the lock passes straight on: `held` stays true
    else this.held = false;
  }

  /** Runs `sql` as the only user of the session (outside any test database's transaction). */
  async exclusive(sql: string): Promise<void> {
    await this.lease('public');
    try {
      await this.lite.exec(sql);
    } finally {
      this.release();
    }
  }

  forget(schema: string): void {
    if (this.current === schema) this.current = undefined;
  }
}

let shared: SharedLite | undefined;

async function openLiteSchema(): Promise<{ db: Db; cleanup(): Promise<void> }> {
  shared ??= new SharedLite();
  const lite = shared;
  const schema = lite.nextSchema();
  await lite.exclusive(`create schema "${schema}"`);
  const db = openDb({ dialect: { kysely: new SchemaLiteDialect(lite, schema), name: 'postgres' } });
  return {
    db,
    cleanup: async () => {
      await db.close();
      await lite.exclusive(`drop schema "${schema}" cascade`);
      lite.forget(schema);
    },
  };
}

/** kysely-pglite-dialect's dialect, with the driver leasing the shared session for one schema. */
class SchemaLiteDialect implements Dialect {
  constructor(
    private readonly lite: SharedLite,
    private readonly schema: string,
  ) {}

  createAdapter(): DialectAdapter {
    return new PostgresAdapter();
  }

  createDriver(): Driver {
    return new SchemaLiteDriver(this.lite, this.schema);
  }

  createQueryCompiler(): QueryCompiler {
    return new PostgresQueryCompiler();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new PostgresIntrospector(db);
  }
}

class SchemaLiteDriver implements Driver {
  /** The package's driver for one lease: its own queue is always free, as ours is held. */
  private inner: Driver | undefined;

  constructor(
    private readonly lite: SharedLite,
    private readonly schema: string,
  ) {}

  async init(): Promise<void> {}

  async acquireConnection(): Promise<DatabaseConnection> {
    const session = await this.lite.lease(this.schema);
    try {
      this.inner ??= new PGliteDialect(session).createDriver();
      return await this.inner.acquireConnection();
    } catch (e) {
      this.lite.release();
      throw e;
    }
  }

  async releaseConnection(connection: DatabaseConnection): Promise<void> {
    try {
      await this.inner!.releaseConnection(connection);
    } finally {
      this.lite.release();
    }
  }

  beginTransaction(connection: DatabaseConnection, settings: TransactionSettings): Promise<void> {
    return this.inner!.beginTransaction(connection, settings);
  }

  commitTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner!.commitTransaction(connection);
  }

  rollbackTransaction(connection: DatabaseConnection): Promise<void> {
    return this.inner!.rollbackTransaction(connection);
  }

  /** The session is the file's, not this database's: closing a test database leaves it open. */
  async destroy(): Promise<void> {}
}
