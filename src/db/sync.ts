import type { CompiledQuery } from 'kysely';
import type { Db } from './connect.js';

type Statement = { reader: boolean; all(...params: unknown[]): unknown[]; run(...params: unknown[]): { changes: number; lastInsertRowid: number | bigint } };
/** Distinct SQL texts kept prepared per handle; past this the cache starts over (bulk IN lists vary). */
const MAX_STATEMENTS = 1000;
const cache = new WeakMap<object, Map<string, Statement>>();
const runners = new WeakMap<object, { (f: () => unknown): unknown; immediate(f: () => unknown): unknown }>();

/**
 * Runs Kysely-compiled queries synchronously on SQLite, as one IMMEDIATE transaction, with cached
 * prepared statements: the same SQL as everywhere, without an await between statements (so 64
 * concurrent requests do not queue behind one open transaction). Returns undefined where that is
 * not possible (PostgreSQL, or an async transaction is open on the connection); callers then use
 * the ordinary async path.
 */
export function statement(sqlite: NonNullable<Db['sqlite']>, sql: string): Statement {
  let stmts = cache.get(sqlite);
  if (!stmts) cache.set(sqlite, (stmts = new Map()));
  let st = stmts.get(sql);
  if (!st) {
    if (stmts.size >= MAX_STATEMENTS) stmts.clear();
    stmts.set(sql, (st = sqlite.prepare(sql) as unknown as Statement));
  }
  return st;
}

/**
 * One read, synchronously with a cached prepared statement on SQLite; undefined elsewhere, and
 * while a transaction is open on the handle: Kysely's SQLite connection is this same handle, so a
 * read beside another request's unfinished transaction would see its uncommitted writes. The
 * async path waits for Kysely's connection instead.
 */
export function syncRead<R>(db: Db, q: CompiledQuery<R>): R[] | undefined {
  if (!db.sqlite || db.sqlite.inTransaction) return undefined;
  return statement(db.sqlite, q.sql).all(...(q.parameters as unknown[])) as R[];
}

/** Runs a statement inside syncTransaction: rows of a reader, [] for a writer. */
export type All = <R>(q: CompiledQuery<R>) => R[];
/** Runs a writing statement inside syncTransaction: how many rows it changed. */
export type Run = (q: CompiledQuery<unknown>) => number;

export function syncTransaction<T>(db: Db, fn: (all: All, run: Run) => T): { value: T } | undefined {
  const sqlite = db.sqlite;
  if (!sqlite || sqlite.inTransaction) return undefined;
  const all = <R>(q: CompiledQuery<R>): R[] => {
    const st = statement(sqlite, q.sql);
    const params = q.parameters as unknown[];
    return st.reader ? (st.all(...params) as R[]) : (st.run(...params), []);
  };
  const changes: Run = (q) => statement(sqlite, q.sql).run(...(q.parameters as unknown[])).changes;
  // better-sqlite3 prepares BEGIN/COMMIT when a transaction function is made: make one per handle.
  let run = runners.get(sqlite);
  if (!run) runners.set(sqlite, (run = sqlite.transaction((f: () => unknown) => f())));
  return { value: run.immediate(() => fn(all, changes)) as T };
}

/**
 * A query compiled once and reused with new values: the builder runs with placeholder strings, and
 * each call swaps the values in by position. Kysely's compile costs tens of microseconds per query,
 * which is most of a hot path like a download; the SQL is the same as building it each time.
 */
export function template<K extends string>(keys: readonly K[], build: (p: Record<K, string>) => { compile(): CompiledQuery<unknown> }): (values: Record<K, unknown>) => CompiledQuery<unknown> {
  const marks = Object.fromEntries(keys.map((k) => [k, `\u0000${k}\u0000`])) as Record<K, string>;
  const compiled = build(marks).compile();
  const slots = compiled.parameters.map((p) => keys.find((k) => p === marks[k]) ?? { literal: p });
  const unused = keys.filter((k) => !slots.includes(k));
  if (unused.length) throw new Error(`template: ${unused.join(', ')} not used by the query`);
  return (values) => ({ ...compiled, parameters: slots.map((s) => (typeof s === 'string' ? values[s] : s.literal)) });
}

type Work = (all: All, run: Run) => unknown;

/** The busy timeout every SQLite connection runs with (see connect.ts). */
export const BUSY_TIMEOUT_MS = 5000;
/** How long a group commit retries without waiting before it waits like any other write. */
const RETRY_MS = 1000;

/**
 * Group commit for SQLite: writes queued in the same turn of the event loop share one transaction
 * (one WAL commit instead of one each), each inside its own savepoint so one failing item never
 * touches the others. Under load this multiplies write throughput; alone, an item waits one turn.
 */
export class GroupCommit {
  private queue: Array<{ work: Work; resolve(v: unknown): void; reject(e: unknown): void }> = [];
  private scheduled = false;
  /** When the current run of SQLITE_BUSY retries began (0: none). */
  private busySince = 0;

  constructor(private readonly db: Db) {}

  /** Undefined when the database is not SQLite: callers use their ordinary transaction. */
  run<T>(work: (all: All, run: Run) => T): Promise<T> | undefined {
    if (!this.db.sqlite) return undefined;
    return new Promise<T>((resolve, reject) => {
      this.queue.push({ work, resolve: resolve as (v: unknown) => void, reject });
      if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    const sqlite = this.db.sqlite!;
    if (sqlite.inTransaction) {
      // An async transaction holds the connection; try again on the next turn.
      setImmediate(() => this.flush());
      return;
    }
    this.scheduled = false;
    const batch = this.queue;
    this.queue = [];
    const results: Array<{ ok?: unknown; err?: unknown }> = [];
    // While another process holds the write lock, do not sleep in SQLite's busy handler (that
    // stops this process's event loop, site serving included, for a millisecond or more per try):
    // give up at once and retry on a later turn, with whatever queued meanwhile in the same batch.
    // After RETRY_MS of trying, wait in SQLite as any other write does.
    const patient = this.busySince !== 0 && Date.now() - this.busySince > RETRY_MS;
    if (!patient) sqlite.pragma('busy_timeout = 0');
    try {
      syncTransaction(this.db, (all, run) => {
        const savepoint = runners.get(sqlite)!;
        for (const item of batch) {
          try {
            results.push({ ok: (savepoint as unknown as (f: () => unknown) => unknown)(() => item.work(all, run)) });
          } catch (e) {
            results.push({ err: e });
          }
        }
      });
    } catch (e) {
      if (!patient && (e as { code?: string }).code === 'SQLITE_BUSY' && results.length === 0) {
        this.busySince ||= Date.now();
        this.queue = batch.concat(this.queue);
        this.scheduled = true;
        setImmediate(() => this.flush());
        return;
      }
      this.busySince = 0;
      for (const item of batch) item.reject(e);
      return;
    } finally {
      if (!patient) sqlite.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
    this.busySince = 0;
    batch.forEach((item, i) => {
      const r = results[i]!;
      if ('err' in r) item.reject(r.err);
      else item.resolve(r.ok);
    });
  }
}
