import type SQLite from 'better-sqlite3';
import type { CompiledQuery } from 'kysely';
import type { Db } from './connect.js';
import { statement } from './statements.js';

/** The busy timeout every SQLite connection runs with (see connect.ts). */
export const BUSY_TIMEOUT_MS = 5000;
/** How long a group commit retries without waiting before it waits like any other write. */
const RETRY_MS = 1000;

/** Runs a statement inside syncTransaction: rows of a reader, [] for a writer. */
export type All = <R>(q: CompiledQuery<R>) => R[];
/** Runs a writing statement inside syncTransaction: how many rows it changed. */
export type Run = (q: CompiledQuery<unknown>) => number;

type Nestable = (f: () => unknown) => unknown;
const transactionFns = new WeakMap<SQLite.Database, Nestable & { immediate: Nestable }>();

/**
 * The handle's better-sqlite3 transaction function, made once: better-sqlite3 prepares BEGIN and
 * COMMIT when one is made. Called at the top it is a transaction (`.immediate`: BEGIN IMMEDIATE);
 * called inside one, a savepoint.
 */
function transactionFn(sqlite: SQLite.Database): Nestable & { immediate: Nestable } {
  let fn = transactionFns.get(sqlite);
  if (!fn) transactionFns.set(sqlite, (fn = sqlite.transaction((f: () => unknown) => f())));
  return fn;
}

/**
 * Runs Kysely-compiled queries synchronously on SQLite, as one IMMEDIATE transaction, with cached
 * prepared statements: the same SQL as everywhere, without an await between statements (so 64
 * concurrent requests do not queue behind one open transaction). Returns undefined where that is
 * not possible (PostgreSQL, or an async transaction is open on the handle); callers then use the
 * ordinary async path.
 */
export function syncTransaction<T>(db: Db, fn: (all: All, run: Run) => T): { value: T } | undefined {
  const sqlite = db.sqlite;
  if (!sqlite || sqlite.inTransaction) return undefined;
  const all = <R>(q: CompiledQuery<R>): R[] => {
    const st = statement(sqlite, q.sql);
    const params = q.parameters as unknown[];
    return st.reader ? (st.all(...params) as R[]) : (st.run(...params), []);
  };
  const changes: Run = (q) => statement(sqlite, q.sql).run(...(q.parameters as unknown[])).changes;
  return { value: transactionFn(sqlite).immediate(() => fn(all, changes)) as T };
}

type Work = (all: All, run: Run) => unknown;

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
        const savepoint = transactionFn(sqlite);
        for (const item of batch) {
          try {
            results.push({ ok: savepoint(() => item.work(all, run)) });
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
