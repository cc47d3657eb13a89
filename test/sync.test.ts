import { describe, expect, it } from 'vitest';
import { migrate, openDb } from '../src/db/connect.js';
import { GroupCommit, template } from '../src/db/sync.js';

describe('SQLite group commit and query templates', () => {
  it('items of one batch are isolated by savepoints; a failing one changes nothing', async () => {
    const db = openDb({ dataDir: ':memory:' });
    await migrate(db);
    const insert = template(['key'], (p) => db.kysely.insertInto('rate_limits').values({ key: p.key, window_start: 'w', count: 1 }));
    const gc = new GroupCommit(db);
    const results = await Promise.allSettled([
      gc.run((all) => all(insert({ key: 'a' })))!,
      gc.run((all) => {
        all(insert({ key: 'x' }));
        return all(insert({ key: 'a' })); // duplicate: this item fails, its first insert is undone
      })!,
      gc.run((all) => all(insert({ key: 'b' })))!,
    ]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    const keys = (await db.kysely.selectFrom('rate_limits').select('key').orderBy('key').execute()).map((r) => r.key);
    expect(keys).toEqual(['a', 'b']);
    await db.close();
  });

  it('templates produce the same SQL with new values', async () => {
    const db = openDb({ dataDir: ':memory:' });
    await migrate(db);
    const q = template(['key', 'n'], (p) => db.kysely.selectFrom('rate_limits').select('key').where('key', '=', p.key).where('count', '>', p.n as unknown as number).limit(5));
    const built = db.kysely.selectFrom('rate_limits').select('key').where('key', '=', 'k1').where('count', '>', 3).limit(5).compile();
    const t = q({ key: 'k1', n: 3 });
    expect(t.sql).toBe(built.sql);
    expect(t.parameters).toEqual(built.parameters);
    expect(() => template(['unused'], () => db.kysely.selectFrom('rate_limits').selectAll())).toThrow(/not used/);
    await db.close();
  });
});
