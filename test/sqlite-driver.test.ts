import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { migrate, openDb, type Db } from '../src/db/connect.js';
import { MAX_STATEMENTS, preparedStatementCount } from '../src/db/statements.js';
import { syncRead } from '../src/db/sync-read.js';

/** A migrated in-memory database, closed after `body` however it ends. */
async function withDb(body: (db: Db) => Promise<void>): Promise<void> {
  const db = openDb({ dataDir: ':memory:' });
  try {
    await migrate(db);
    await body(db);
  } finally {
    await db.close();
  }
}

async function keys(db: Db): Promise<string[]> {
  return (await db.kysely.selectFrom('rate_limits').select('key').orderBy('key').execute()).map((r) => r.key);
}

const row = (key: string) => ({ key, window_start: 'w', count: 1 });

describe('SQLite driver', () => {
  it('a transaction takes the write lock at BEGIN (IMMEDIATE), before its first write', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'sitepub-driver-'));
    const db = openDb({ dataDir: dir });
    // Another process's handle on the same file; it gives up at once instead of waiting.
    const other = new SQLite(path.join(dir, 'sitepub.db'), { timeout: 0 });
    try {
      await migrate(db);
      const trx = await db.kysely.startTransaction().execute();
      expect(db.sqlite!.inTransaction).toBe(true);
      // Nothing written yet: a deferred BEGIN would hold no lock, and the other handle would win.
      expect(() => other.exec('begin immediate')).toThrow(/locked|busy/i);
      await trx.insertInto('rate_limits').values(row('a')).execute();
      await trx.commit().execute();
      expect(db.sqlite!.inTransaction).toBe(false);
      other.exec('begin immediate');
      other.exec('rollback');
      expect(await keys(db)).toEqual(['a']);
    } finally {
      other.close();
      await db.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a failing transaction rolls back and leaves no transaction open', () =>
    withDb(async (db) => {
      await expect(
        db.kysely.transaction().execute(async (trx) => {
          await trx.insertInto('rate_limits').values(row('gone')).execute();
          expect(db.sqlite!.inTransaction).toBe(true);
          throw new Error('fail');
        }),
      ).rejects.toThrow('fail');
      expect(db.sqlite!.inTransaction).toBe(false);
      expect(await keys(db)).toEqual([]);
    }));

  it('savepoints written as SQL inside a transaction undo only what follows them', () =>
    withDb(async (db) => {
      await db.kysely.transaction().execute(async (trx) => {
        await trx.insertInto('rate_limits').values(row('kept')).execute();
        await sql`savepoint x`.execute(trx);
        await trx.insertInto('rate_limits').values(row('undone')).execute();
        await sql`rollback to x`.execute(trx);
        await sql`release x`.execute(trx);
        await trx.insertInto('rate_limits').values(row('after')).execute();
      });
      expect(await keys(db)).toEqual(['after', 'kept']);
    }));

  it("Kysely's savepoint API goes through the driver's savepoint methods", () =>
    withDb(async (db) => {
      const trx = await db.kysely.startTransaction().execute();
      await trx.insertInto('rate_limits').values(row('kept')).execute();
      const sp = await trx.savepoint('sp 1').execute(); // a name that needs quoting
      await sp.insertInto('rate_limits').values(row('undone')).execute();
      await sp.rollbackToSavepoint('sp 1').execute();
      const sp2 = await trx.savepoint('sp2').execute();
      await sp2.insertInto('rate_limits').values(row('released')).execute();
      await sp2.releaseSavepoint('sp2').execute();
      await trx.commit().execute();
      expect(await keys(db)).toEqual(['kept', 'released']);
    }));

  it('one connection: a query outside a transaction waits until the transaction ends', () =>
    withDb(async (db) => {
      const order: string[] = [];
      let started!: () => void;
      const inside = new Promise<void>((r) => (started = r));
      let finish!: () => void;
      const gate = new Promise<void>((r) => (finish = r));
      const trx = db.kysely.transaction().execute(async (t) => {
        await t.insertInto('rate_limits').values(row('a')).execute();
        order.push('trx wrote');
        started();
        await gate;
        await t.insertInto('rate_limits').values(row('b')).execute();
        order.push('trx done');
      });
      await inside;
      const outside = keys(db).then((k) => (order.push('outside'), k));
      // However many turns pass, the outside query stays queued behind the open transaction.
      for (let i = 0; i < 20; i++) await new Promise((r) => setImmediate(r));
      expect(order).toEqual(['trx wrote']);
      finish();
      await trx;
      // It ran after the commit: it sees both rows, never the state between them.
      expect(await outside).toEqual(['a', 'b']);
      expect(order).toEqual(['trx wrote', 'trx done', 'outside']);
    }));

  it('a stream does not block a synchronous read of the same SQL', () =>
    withDb(async (db) => {
      await db.kysely.insertInto('rate_limits').values([row('a'), row('b'), row('c')]).execute();
      const q = db.kysely.selectFrom('rate_limits').select('key').orderBy('key');
      const streamed: string[] = [];
      for await (const r of q.stream()) {
        streamed.push(r.key);
        // The stream iterates a statement of its own; the cached one stays free.
        expect(syncRead(db, q.compile())?.map((x) => x.key)).toEqual(['a', 'b', 'c']);
      }
      expect(streamed).toEqual(['a', 'b', 'c']);
    }));

  it('past more distinct SQL texts than the statement cache holds, every query still answers right', () =>
    withDb(async (db) => {
      const texts = MAX_STATEMENTS + 50;
      for (let i = 0; i < texts; i++) {
        const { rows } = await sql<{ n: number }>`select ${sql.raw(String(i))} as n`.execute(db.kysely);
        expect(rows).toEqual([{ n: i }]);
      }
      expect(preparedStatementCount(db.sqlite!)).toBe(MAX_STATEMENTS);
      // The first texts were evicted: prepared again, still right; so are the application's.
      expect((await sql<{ n: number }>`select 0 as n`.execute(db.kysely)).rows).toEqual([{ n: 0 }]);
      await db.kysely.insertInto('rate_limits').values(row('a')).execute();
      expect(await keys(db)).toEqual(['a']);
    }));

  it('insert ids and affected row counts come back as Kysely expects', () =>
    withDb(async (db) => {
      const inserted = await db.kysely.insertInto('rate_limits').values([row('a'), row('b')]).executeTakeFirstOrThrow();
      expect(inserted.numInsertedOrUpdatedRows).toBe(2n);
      expect(typeof inserted.insertId).toBe('bigint');
      const updated = await db.kysely.updateTable('rate_limits').set({ count: 2 }).executeTakeFirstOrThrow();
      expect(updated.numUpdatedRows).toBe(2n);
    }));
});
