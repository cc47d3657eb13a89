import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { ManualClock } from '../src/core/clock.js';
import { makeUrlConfig } from '../src/core/config.js';
import { Core } from '../src/core/core.js';
import { migrate, openDb, type Db } from '../src/db/connect.js';
import { REAL_PG_URL } from './dialects.js';
import { ScopedPostgresDialect } from '../src/db/postgres-dialect.js';

/** Two "instances" (cores and apps) over one database, as behind a load balancer. */
export async function twoInstances(kind: 'sqlite-file' | 'postgres'): Promise<{ a: Core; b: Core; cleanup(): Promise<void> }> {
  let dbs: [Db, Db];
  let drop = async (): Promise<void> => {};
  if (kind === 'sqlite-file') {
    const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-multi-'));
    dbs = [openDb({ dataDir: dir }), openDb({ dataDir: dir })];
    drop = async () => rmSync(dir, { recursive: true, force: true });
  } else {
    const schema = `m_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 7)}`;
    const admin = new pg.Client({ connectionString: REAL_PG_URL });
    await admin.connect();
    await admin.query(`create schema ${schema}`);
    await admin.end();
    const open = (): Db => openDb({ dialect: { kysely: new ScopedPostgresDialect({ pool: new pg.Pool({ connectionString: REAL_PG_URL, options: `-c search_path=${schema}` }) }), name: 'postgres' } });
    dbs = [open(), open()];
    drop = async () => {
      const c = new pg.Client({ connectionString: REAL_PG_URL });
      await c.connect();
      await c.query(`drop schema ${schema} cascade`);
      await c.end();
    };
  }
  for (const d of dbs) await migrate(d);
  const clock = new ManualClock('2026-03-01T12:00:00.000Z');
  const urls = makeUrlConfig('http://127.0.0.1:8787', 'localhost');
  const [a, b] = dbs.map((db) => new Core({ db, urls, clock })) as [Core, Core];
  return {
    a,
    b,
    cleanup: async () => {
      await a.close();
      await b.close();
      await drop();
    },
  };
}

