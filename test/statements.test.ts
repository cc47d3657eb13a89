import SQLite from 'better-sqlite3';
import { describe, expect, it } from 'vitest';
import { MAX_STATEMENTS, preparedStatementCount, statement } from '../src/db/statements.js';

describe('the prepared-statement cache', () => {
  it('keeps one statement per SQL text and handle', () => {
    const a = new SQLite(':memory:');
    const b = new SQLite(':memory:');
    try {
      expect(statement(a, 'select 1 as n')).toBe(statement(a, 'select 1 as n'));
      expect(statement(b, 'select 1 as n')).not.toBe(statement(a, 'select 1 as n'));
      expect(preparedStatementCount(a)).toBe(1);
      expect(preparedStatementCount(b)).toBe(1);
    } finally {
      a.close();
      b.close();
    }
  });

  it('is bounded, evicting the least recently used: a statement in steady use stays prepared', () => {
    const db = new SQLite(':memory:');
    try {
      const hot = statement(db, 'select 0 as n');
      for (let i = 1; i <= 2 * MAX_STATEMENTS; i++) {
        expect(statement(db, `select ${i} as n`).get()).toEqual({ n: i });
        if (i % 100 === 0) expect(statement(db, 'select 0 as n')).toBe(hot);
        expect(preparedStatementCount(db)).toBeLessThanOrEqual(MAX_STATEMENTS);
      }
      expect(preparedStatementCount(db)).toBe(MAX_STATEMENTS);
      // An evicted text is prepared again, and still right.
      expect(statement(db, 'select 1 as n').get()).toEqual({ n: 1 });
    } finally {
      db.close();
    }
  });
});
