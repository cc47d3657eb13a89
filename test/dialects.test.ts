import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { openTestDb, pgLabel } from './dialects.js';

// The test databases of one file share one PGlite (dialects.ts): each must still see only its own
// schema, and a transaction on one must never take in a query of another.
describe(`test databases on ${pgLabel} are isolated from each other`, () => {
  const make = async (db: Awaited<ReturnType<typeof openTestDb>>['db']): Promise<void> => {
    await sql`create table notes (body text not null)`.execute(db.kysely);
  };
  const bodies = async (db: Awaited<ReturnType<typeof openTestDb>>['db']): Promise<string[]> =>
    (await sql<{ body: string }>`select body from notes order by body`.execute(db.kysely)).rows.map((r) => r.body);

  it('same table names, separate rows', async () => {
    const a = await openTestDb('postgres');
    const b = await openTestDb('postgres');
    try {
      await make(a.db);
      await make(b.db);
      await sql`insert into notes values ('a1')`.execute(a.db.kysely);
      await sql`insert into notes values ('b1')`.execute(b.db.kysely);
      await sql`insert into notes values ('a2')`.execute(a.db.kysely);
      expect(await bodies(a.db)).toEqual(['a1', 'a2']);
      expect(await bodies(b.db)).toEqual(['b1']);
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });

  it('a query of one database never runs inside the open transaction of another', async () => {
    const a = await openTestDb('postgres');
    const b = await openTestDb('postgres');
    try {
      await make(a.db);
      await make(b.db);
      let release!: () => void;
      const held = new Promise<void>((r) => (release = r));
      let inTransaction!: () => void;
      const begun = new Promise<void>((r) => (inTransaction = r));
      const rolledBack = a.db.kysely
        .transaction()
        .execute(async (trx) => {
          await sql`insert into notes values ('a-rolled-back')`.execute(trx);
          inTransaction();
          await held;
          throw new Error('roll back');
        })
        .catch((e: Error) => e.message);
      await begun;
      const written = sql`insert into notes values ('b-kept')`.execute(b.db.kysely);
      release();
      await written;
      expect(await rolledBack).toBe('roll back');
      expect(await bodies(a.db)).toEqual([]);
      expect(await bodies(b.db)).toEqual(['b-kept']);
    } finally {
      await a.cleanup();
      await b.cleanup();
    }
  });

  it('closing one leaves the other working', async () => {
    const a = await openTestDb('postgres');
    const b = await openTestDb('postgres');
    try {
      await make(a.db);
      await make(b.db);
      await a.cleanup();
      await sql`insert into notes values ('still here')`.execute(b.db.kysely);
      expect(await bodies(b.db)).toEqual(['still here']);
    } finally {
      await b.cleanup();
    }
  });
});
