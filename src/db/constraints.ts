import { sql, type Kysely, type Transaction } from 'kysely';

/** The constraint a failed write broke, whatever the engine (SQLite, PostgreSQL, PGlite). */
export type ConstraintViolation = 'unique' | 'foreign_key';

export function constraintViolation(e: unknown): ConstraintViolation | undefined {
  const code = typeof e === 'object' && e !== null ? (e as { code?: unknown }).code : undefined;
  if (code === '23505' || code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY') return 'unique';
  if (code === '23503' || code === 'SQLITE_CONSTRAINT_FOREIGNKEY') return 'foreign_key';
  return undefined;
}

/**
 * Runs one write; a unique violation becomes the domain error `conflict` builds. Check-then-insert
 * alone loses races between instances (both checks pass); the constraint is what decides, and this
 * turns its verdict into the same typed error the check gives.
 */
export async function unlessTaken<T>(write: Promise<T>, conflict: () => Error): Promise<T> {
  try {
    return await write;
  } catch (e) {
    if (constraintViolation(e) === 'unique') throw conflict();
    throw e;
  }
}

let savepoints = 0;

/**
 * Runs `f` in a savepoint of `tx`. When it breaks a constraint of `kind`, only the savepoint is
 * rolled back (on PostgreSQL a failed statement would otherwise doom the whole transaction) and
 * `false` is returned; other errors propagate.
 */
export async function tryInSavepoint<D>(tx: Transaction<D> | Kysely<D>, kind: ConstraintViolation, f: () => Promise<unknown>): Promise<boolean> {
  const name = sql.id(`sp_${++savepoints}`);
  await sql`savepoint ${name}`.execute(tx);
  try {
    await f();
  } catch (e) {
    await sql`rollback to savepoint ${name}`.execute(tx);
    await sql`release savepoint ${name}`.execute(tx);
    if (constraintViolation(e) === kind) return false;
    throw e;
  }
  await sql`release savepoint ${name}`.execute(tx);
  return true;
}
