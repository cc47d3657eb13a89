import type { Kysely } from 'kysely';
import type { Database, DownloadTokenTable } from '../db/schema.js';
import { tokenBucket, type DownloadQueries } from './download-queries.js';
import { attemptEvent } from './download-record.js';
import { tokenError } from './download-token-errors.js';
import { invalid } from './errors.js';
import type { Project } from './projects.js';

export interface UpdateTokenInput {
  token_id: string;
  /** Uses to add to max_uses (a limited token only). */
  add_uses?: number | undefined;
  /** The new max_uses (0 = unlimited). */
  max_uses?: number | undefined;
  /** New expiry, counted from now (0 = never). Minutes win over hours. */
  expires_in_hours?: number | undefined;
  expires_in_minutes?: number | undefined;
  /** Start counting uses from 0 again. */
  reset_use_count?: boolean | undefined;
}

/** What changed, as the attempt log and the answer say it. */
export interface TokenChange {
  use_count: { from: number; to: number };
  max_uses: { from: number; to: number };
  expires_at: { from: string | null; to: string | null };
}

const MAX_USES = 1_000_000;

/** A token is in the exhausted counter when it is used up and not revoked (see migration 0006). */
const exhausted = (t: Pick<DownloadTokenTable, 'revoked_at' | 'max_uses' | 'use_count'>): boolean => t.revoked_at === null && t.max_uses > 0 && t.use_count >= t.max_uses;

function count(v: number | undefined, field: string, min: number, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < min || v > max) throw invalid(`${field} must be a whole number from ${min} to ${max}`, { field });
  return v;
}

/**
 * file-downloads_update_token: more uses, a new expiry, or a fresh count, for a buyer whose
 * download failed or whose link ran out. One transaction: the row is locked first (an UPDATE that
 * changes nothing takes the row lock on PostgreSQL and the write lock on SQLite), so a concurrent
 * download waits and then sees the new limits; the token-state counters move from the old state
 * and bucket to the new ones exactly; the change is recorded in the attempt log (outcome `updated`).
 */
export async function updateToken(db: Kysely<Database>, queries: DownloadQueries, now: Date, project: Project, input: UpdateTokenInput): Promise<{ token: DownloadTokenTable; changes: TokenChange }> {
  const addUses = count(input.add_uses, 'add_uses', 1, MAX_USES);
  const maxUses = count(input.max_uses, 'max_uses', 0, MAX_USES);
  const hours = count(input.expires_in_hours, 'expires_in_hours', 0, 24 * 365 * 10);
  const minutes = count(input.expires_in_minutes, 'expires_in_minutes', 0, 60 * 24 * 365 * 10);
  if (addUses !== undefined && maxUses !== undefined) throw invalid('Pass add_uses or max_uses, not both.', { field: 'add_uses' });
  if (addUses === undefined && maxUses === undefined && hours === undefined && minutes === undefined && !input.reset_use_count) {
    throw invalid('Nothing to change: pass add_uses, max_uses, expires_in_hours, expires_in_minutes or reset_use_count.', { field: 'token_id' });
  }
  const nowIso = now.toISOString();
  const ttlMs = minutes !== undefined ? minutes * 60_000 : hours !== undefined ? hours * 3_600_000 : undefined;
  return db.transaction().execute(async (tx) => {
    const locked = await tx.updateTable('download_tokens').set((eb) => ({ use_count: eb.ref('use_count') })).where('id', '=', input.token_id).where('project_id', '=', project.id).executeTakeFirst();
    if (Number(locked.numUpdatedRows) !== 1) throw tokenError('TOKEN_INVALID');
    const old = await tx.selectFrom('download_tokens').selectAll().where('id', '=', input.token_id).executeTakeFirstOrThrow();
    if (old.revoked_at) throw tokenError('TOKEN_REVOKED', { id: old.id, expiration_redirect_url: null });
    if (addUses !== undefined && old.max_uses === 0) throw invalid('The token already allows unlimited uses (max_uses 0): nothing to add.', { field: 'add_uses', token_id: old.id });
    const next: DownloadTokenTable = {
      ...old,
      use_count: input.reset_use_count ? 0 : old.use_count,
      max_uses: maxUses ?? (addUses !== undefined ? Math.min(MAX_USES, old.max_uses + addUses) : old.max_uses),
      expires_at: ttlMs === undefined ? old.expires_at : ttlMs === 0 ? null : new Date(now.getTime() + ttlMs).toISOString(),
    };
    await tx.updateTable('download_tokens').set({ use_count: next.use_count, max_uses: next.max_uses, expires_at: next.expires_at }).where('id', '=', old.id).execute();
    // The counters: out of the old state and bucket, into the new (one row when the bucket is the same).
    const from = tokenBucket(old);
    const to = tokenBucket(next);
    const was = exhausted(old) ? 1 : 0;
    const is = exhausted(next) ? 1 : 0;
    if (from.hour === to.hour) {
      if (was !== is) await tx.executeQuery(queries.stateCounts({ ...to, tokens: 0, revoked: 0, exhausted: is - was }));
    } else {
      await tx.executeQuery(queries.stateCounts({ ...from, tokens: -1, revoked: 0, exhausted: -was }));
      await tx.executeQuery(queries.stateCounts({ ...to, tokens: 1, revoked: 0, exhausted: is }));
    }
    const changes: TokenChange = {
      use_count: { from: old.use_count, to: next.use_count },
      max_uses: { from: old.max_uses, to: next.max_uses },
      expires_at: { from: old.expires_at, to: next.expires_at },
    };
    await tx.executeQuery(attemptEvent(queries, next, 'updated', { userAgent: describe(changes) }, nowIso));
    return { token: next, changes };
  });
}

/** One line for the attempt log's user_agent column, where verify-token also writes its name. */
function describe(c: TokenChange): string {
  const parts: string[] = [];
  if (c.use_count.from !== c.use_count.to) parts.push(`use_count ${c.use_count.from}->${c.use_count.to}`);
  if (c.max_uses.from !== c.max_uses.to) parts.push(`max_uses ${c.max_uses.from}->${c.max_uses.to}`);
  if (c.expires_at.from !== c.expires_at.to) parts.push(`expires_at ${c.expires_at.from ?? 'never'}->${c.expires_at.to ?? 'never'}`);
  return `update-token: ${parts.length ? parts.join(', ') : 'no change'}`;
}
