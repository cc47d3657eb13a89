import type SQLite from 'better-sqlite3';
import { LRUCache } from 'lru-cache';

/** A prepared statement on the raw SQLite handle, bound by position. */
export type Statement = SQLite.Statement<unknown[]>;

/**
 * Distinct SQL texts kept prepared per handle. Kysely compiles one query shape to one text, so a
 * few hundred cover the application; bulk IN lists vary with their length, and those push out the
 * least recently used. An evicted statement needs nothing: better-sqlite3 finalizes it when it is
 * collected.
 */
export const MAX_STATEMENTS = 1000;

const caches = new WeakMap<SQLite.Database, LRUCache<string, Statement>>();

/**
 * The handle's prepared statement for `sql`, prepared on first use. Preparing costs about ten
 * microseconds, which Kysely's own SQLite connection pays on every query; everything that runs SQL
 * on the handle (the Kysely driver, syncRead, group commit) shares this one cache.
 */
export function statement(sqlite: SQLite.Database, sql: string): Statement {
  let cache = caches.get(sqlite);
  if (!cache) caches.set(sqlite, (cache = new LRUCache<string, Statement>({ max: MAX_STATEMENTS })));
  let st = cache.get(sql);
  if (!st) cache.set(sql, (st = sqlite.prepare<unknown[]>(sql)));
  return st;
}

/** How many statements the handle keeps prepared (at most MAX_STATEMENTS). */
export function preparedStatementCount(sqlite: SQLite.Database): number {
  return caches.get(sqlite)?.size ?? 0;
}
