import {
  SqliteAdapter,
  SqliteIntrospector,
  SqliteQueryCompiler,
  type DatabaseIntrospector,
  type Dialect,
  type DialectAdapter,
  type Driver,
  type Kysely,
  type QueryCompiler,
} from 'kysely';
import { SqliteDriver, type SqliteDriverConfig } from './sqlite-driver.js';

/**
 * sitepub's SQLite dialect: Kysely's adapter, compiler and introspector with our own driver
 * (BEGIN IMMEDIATE transactions, cached prepared statements; see sqlite-driver.ts).
 */
export class SqliteDialect implements Dialect {
  constructor(private readonly config: SqliteDriverConfig) {}

  createDriver(): Driver {
    return new SqliteDriver(this.config);
  }

  createQueryCompiler(): QueryCompiler {
    return new SqliteQueryCompiler();
  }

  createAdapter(): DialectAdapter {
    return new SqliteAdapter();
  }

  createIntrospector(db: Kysely<unknown>): DatabaseIntrospector {
    return new SqliteIntrospector(db);
  }
}
