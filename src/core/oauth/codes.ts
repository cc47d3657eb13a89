import type { Kysely, Transaction } from 'kysely';
import type { Database, OAuthCodeTable } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { tokenHash } from '../ids.js';
import type { AuthorizationRequest } from './authorization.js';
import { OAuthError } from './errors.js';
import { pkceMatches } from './pkce.js';
import { OAUTH_POLICY } from './policy.js';
import { isOAuthSecret, mintOAuthSecret } from './secrets.js';

/** What an exchanged code was bound to: the grant is made from it. */
export type RedeemedCode = Pick<OAuthCodeTable, 'client_id' | 'owner_id' | 'project_id' | 'scope' | 'resource'>;

/** An exchange that presented a code a second time: the grant it was exchanged for must be revoked. */
export class CodeReplayed extends Error {
  constructor(readonly grantId: string | null) {
    super('authorization code replayed');
  }
}

const badCode = (): OAuthError => new OAuthError('invalid_grant', 'The authorization code is unknown, expired (codes live 60 seconds) or already used. Start the authorization again.');

/**
 * Authorization codes: 256 random bits, stored as SHA-256, valid 60 seconds, usable once, bound to
 * the client, the exact redirect_uri, the PKCE challenge, the resource, the scope, the project
 * and the owner who approved.
 */
export class AuthorizationCodes {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async issue(req: AuthorizationRequest, ownerId: string, projectId: string): Promise<string> {
    const code = mintOAuthSecret('code');
    const now = this.clock.now();
    await this.db
      .insertInto('oauth_codes')
      .values({
        code_hash: tokenHash(code),
        client_id: req.client.id,
        owner_id: ownerId,
        project_id: projectId,
        redirect_uri: req.redirectUri,
        code_challenge: req.codeChallenge,
        resource: req.resource,
        scope: req.scope,
        created_at: now.toISOString(),
        expires_at: new Date(now.getTime() + OAUTH_POLICY.codeTtlMs).toISOString(),
        used_at: null,
        grant_id: null,
      })
      .execute();
    return code;
  }

  /**
   * Uses a code up inside the caller's transaction, after checking everything it is bound to
   * (checked first, so a wrong guess at the verifier does not burn the real client's code). One
   * conditional UPDATE decides between racing exchanges. A code presented again throws
   * CodeReplayed (the caller revokes what it was exchanged for, OAuth 2.1 section 4.1.3).
   */
  async redeem(tx: Transaction<Database>, input: { code: unknown; clientId: string; redirectUri: unknown; codeVerifier: unknown; resource: unknown }): Promise<RedeemedCode & { codeHash: string }> {
    if (!isOAuthSecret(input.code, 'code')) throw badCode();
    const hash = tokenHash(input.code);
    const row = await tx.selectFrom('oauth_codes').selectAll().where('code_hash', '=', hash).executeTakeFirst();
    if (!row) throw badCode();
    const now = this.clock.now().toISOString();
    if (row.used_at !== null) throw new CodeReplayed(row.grant_id);
    if (row.expires_at <= now) throw badCode();
    if (row.client_id !== input.clientId) throw new OAuthError('invalid_grant', 'This authorization code was issued to another client.');
    if (input.redirectUri !== row.redirect_uri) throw new OAuthError('invalid_grant', 'redirect_uri must be exactly the one sent in the authorization request.');
    if (!pkceMatches(row.code_challenge, input.codeVerifier)) throw new OAuthError('invalid_grant', 'PKCE check failed: code_verifier is missing or does not match the code_challenge.');
    if (input.resource !== undefined && input.resource !== row.resource) throw new OAuthError('invalid_target', `resource must be ${row.resource}, as in the authorization request.`);
    const won = await tx.updateTable('oauth_codes').set({ used_at: now }).where('code_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst();
    if (Number(won.numUpdatedRows) !== 1) throw new CodeReplayed(null);
    return { codeHash: hash, client_id: row.client_id, owner_id: row.owner_id, project_id: row.project_id, scope: row.scope, resource: row.resource };
  }

  /** Records what a code was exchanged for (a replay of the code revokes it). */
  async exchangedFor(tx: Transaction<Database>, codeHash: string, grantId: string): Promise<void> {
    await tx.updateTable('oauth_codes').set({ grant_id: grantId }).where('code_hash', '=', codeHash).execute();
  }
}
