import { PGlite } from '@electric-sql/pglite';
import { PostgresDialect } from 'kysely';
import { PGliteDialect } from 'kysely-pglite-dialect';
import pg from 'pg';
import { isPostgresUrl, openDb, type Db } from '../src/db/connect.js';

export type DialectName = 'sqlite' | 'postgres';

/** Every domain and tool suite runs on each: SQLite, and PostgreSQL (the real server when DATABASE_URL is set, else embedded PGlite). */
export const DIALECTS: readonly DialectName[] = ['sqlite', 'postgres'];

export const REAL_PG_URL = isPostgresUrl(process.env.DATABASE_URL) ? process.env.DATABASE_URL : undefined;
export const pgLabel = REAL_PG_URL ? 'postgres (server)' : 'postgres (PGlite)';

/** A fresh, isolated database: in-memory SQLite, a new schema on the server, or a new PGlite instance. */
export async function openTestDb(kind: DialectName): Promise<{ db: Db; cleanup(): Promise<void> }> {
  if (kind === 'sqlite') {
    const db = openDb({ dataDir: ':memory:' });
    return { db, cleanup: () => db.close() };
  }
  if (REAL_PG_URL) {
    const schema = `t_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
    const admin = new pg.Client({ connectionString: REAL_PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const pool = new pg.Pool({ connectionString: REAL_PG_URL, options: `-c search_path=${schema}`, max: 10 });
    const db = openDb({ dialect: { kysely: new PostgresDialect({ pool }), name: 'postgres' } });
    return {
      db,
      cleanup: async () => {
        await db.close();
        const c = new pg.Client({ connectionString: REAL_PG_URL });
        await c.connect();
        await c.query(`drop schema ${schema} cascade`);
        await c.end();
      },
    };
  }
  const lite = new PGlite();
  const db = openDb({ dialect: { kysely: new PGliteDialect(lite), name: 'postgres' } });
  return { db, cleanup: () => db.close() };
}
