import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { migrate, openDb } from '../src/db/connect.js';
import { ScopedPostgresDialect } from '../src/db/postgres-dialect.js';
import { REAL_PG_URL } from './dialects.js';

if (!REAL_PG_URL) console.log('postgres-dialect: needs a PostgreSQL server (DATABASE_URL, as CI sets); skipped.');

describe.skipIf(!REAL_PG_URL)('the PostgreSQL dialect looks only at its own schema', () => {
  it('introspects and migrates the current schema, whatever other schemas come and go meanwhile', async () => {
    const tag = `${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
    const mine = `pd_${tag}`;
    const admin = new pg.Client({ connectionString: REAL_PG_URL });
    await admin.connect();
    await admin.query(`create schema ${mine}`);
    await admin.query(`create schema other_${tag}; create table other_${tag}.kysely_migration (x int)`);
    const pool = new pg.Pool({ connectionString: REAL_PG_URL, options: `-c search_path=${mine}`, max: 4 });
    const db = openDb({ dialect: { kysely: new ScopedPostgresDialect({ pool }), name: 'postgres' } });
    try {
      // Another schema's migration table is not ours: the first start migrates everything.
      expect((await migrate(db)).length).toBeGreaterThan(5);
      const tables = await db.kysely.introspection.getTables({ withInternalKyselyTables: true });
      expect(new Set(tables.map((t) => t.schema))).toEqual(new Set([mine]));
      expect(tables.map((t) => t.name)).toContain('kysely_migration');
      // Schemas created and dropped by other tenants while this one starts again: no error.
      const churn = (async () => {
        for (let i = 0; i < 30; i++) {
          await admin.query(`create schema churn_${tag}_${i}; create table churn_${tag}_${i}.t (a int, b text)`);
          await admin.query(`drop schema churn_${tag}_${i} cascade`);
        }
      })();
      for (let i = 0; i < 10; i++) expect(await migrate(db)).toEqual([]);
      await churn;
    } finally {
      await db.close();
      await admin.query(`drop schema ${mine} cascade; drop schema other_${tag} cascade`);
      await admin.end();
    }
  });
});
