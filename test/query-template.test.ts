import { describe, expect, it } from 'vitest';
import { migrate, openDb } from '../src/db/connect.js';
import { template } from '../src/db/query-template.js';

describe('query templates', () => {
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
