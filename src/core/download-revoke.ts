import type { Kysely } from 'kysely';
import type { Database } from '../db/schema.js';
import { tokenBucket, type DownloadQueries } from './download-queries.js';
import { tokenError } from './download-token-errors.js';
import { invalid } from './errors.js';
import { isWellFormedToken, tokenHash } from './ids.js';
import type { Project } from './projects.js';
import { downloadTokenOf } from './token-input.js';

export interface RevokedToken {
  token_id: string;
  revoked: true;
  revoked_at: string;
}

/**
 * Revokes a token of this project, by the token or its id; revoking twice answers the first
 * revocation. The token leaves the exhausted counter if it was there (get-stats counts it revoked).
 */
export async function revokeToken(
  db: Kysely<Database>,
  queries: DownloadQueries,
  at: string,
  project: Project,
  input: { token?: string | undefined; token_id?: string | undefined },
): Promise<RevokedToken> {
  if (input.token !== undefined) input = { ...input, token: downloadTokenOf(input.token) };
  if ((input.token === undefined) === (input.token_id === undefined)) {
    throw invalid('Pass exactly one of token or token_id (token_id is shown by file-downloads_list_downloads).', { field: 'token' });
  }
  let q = db.selectFrom('download_tokens').select(['id', 'revoked_at']).where('project_id', '=', project.id);
  if (input.token !== undefined) {
    if (!isWellFormedToken(input.token, 'download')) throw tokenError('TOKEN_INVALID');
    q = q.where('token_hash', '=', tokenHash(input.token));
  } else {
    q = q.where('id', '=', input.token_id!);
  }
  const row = await q.executeTakeFirst();
  if (!row) throw tokenError('TOKEN_INVALID');
  if (row.revoked_at) return { token_id: row.id, revoked: true, revoked_at: row.revoked_at };
  const revoked = await db.transaction().execute(async (tx) => {
    const t = await tx
      .updateTable('download_tokens')
      .set({ revoked_at: at })
      .where('id', '=', row.id)
      .where('revoked_at', 'is', null)
      .returning(['project_id', 'created_at', 'expires_at', 'max_uses', 'use_count'])
      .executeTakeFirst();
    if (!t) return undefined;
    const wasExhausted = t.max_uses > 0 && t.use_count >= t.max_uses;
    await tx.executeQuery(queries.stateCounts({ ...tokenBucket(t), tokens: 0, revoked: 1, exhausted: wasExhausted ? -1 : 0 }));
    return t;
  });
  // Revoked meanwhile by another request: report that revocation (idempotent).
  if (!revoked) return revokeToken(db, queries, at, project, { token_id: row.id });
  return { token_id: row.id, revoked: true, revoked_at: at };
}
