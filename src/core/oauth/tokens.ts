import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { newId, tokenHash } from '../ids.js';
import type { AccessTokenCheck } from './access-tokens.js';
import type { OAuthClient } from './client-metadata.js';
import { CodeReplayed, type AuthorizationCodes } from './codes.js';
import { OAuthError } from './errors.js';
import type { Housekeeping } from './housekeeping.js';
import { OAUTH_POLICY } from './policy.js';
import { scopeWithin } from './scopes.js';
import { isOAuthSecret, mintOAuthSecret } from './secrets.js';

/** The token endpoint's success body (RFC 6749 section 5.1). */
export interface TokenResponse {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  refresh_token: string;
  scope: string;
}

/** A connected app, as the dashboard lists it per project. */
export interface GrantInfo {
  grant_id: string;
  client_id: string;
  client_name: string | null;
  project_id: string;
  scope: string;
  created_at: string;
  last_used_at: string;
}

/** A refresh token presented a second time: its grant must be revoked (after the transaction that found it). */
class RefreshReplayed extends Error {
  constructor(readonly grantId: string) {
    super('refresh token replayed');
  }
}

const badRefresh = (): OAuthError => new OAuthError('invalid_grant', 'The refresh token is unknown, expired or revoked. Authorize again.');

/**
 * Grants and their tokens: the authorization_code and refresh_token grants of the token
 * endpoint, revocation (RFC 7009) and the list of connected apps. Multi-step writes run in one
 * transaction; a replayed code or refresh token revokes the whole grant.
 */
export class TokenService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly codes: AuthorizationCodes,
    private readonly access: AccessTokenCheck,
    private readonly housekeeping: Housekeeping,
  ) {}

  async exchangeCode(client: OAuthClient, form: { code?: string | undefined; redirect_uri?: string | undefined; code_verifier?: string | undefined; resource?: string | undefined }): Promise<TokenResponse> {
    await this.housekeeping.maybeSweep();
    try {
      return await this.db.transaction().execute(async (tx) => {
        const code = await this.codes.redeem(tx, { code: form.code, clientId: client.id, redirectUri: form.redirect_uri, codeVerifier: form.code_verifier, resource: form.resource });
        const now = this.clock.now().toISOString();
        const grantId = newId('grt');
        await tx
          .insertInto('oauth_grants')
          .values({
            id: grantId,
            owner_id: code.owner_id,
            client_id: client.id,
            client_name: client.name,
            project_id: code.project_id,
            scope: code.scope,
            resource: code.resource,
            created_at: now,
            last_used_at: now,
            revoked_at: null,
          })
          .execute();
        await this.codes.exchangedFor(tx, code.codeHash, grantId);
        await tx.updateTable('oauth_clients').set({ used_at: now }).where('id', '=', client.id).execute();
        return this.issue(tx, grantId, code.scope);
      });
    } catch (e) {
      if (!(e instanceof CodeReplayed)) throw e;
      if (e.grantId) await this.revokeGrant(e.grantId);
      throw new OAuthError('invalid_grant', 'This authorization code was already used; any token issued for it is now revoked. Start the authorization again.');
    }
  }

  async refresh(client: OAuthClient, form: { refresh_token?: string | undefined; scope?: string | undefined; resource?: string | undefined }): Promise<TokenResponse> {
    if (!isOAuthSecret(form.refresh_token, 'refresh')) throw badRefresh();
    const hash = tokenHash(form.refresh_token);
    try {
      return await this.db.transaction().execute(async (tx) => {
        const row = await tx
          .selectFrom('oauth_tokens as t')
          .innerJoin('oauth_grants as g', 'g.id', 't.grant_id')
          .select(['t.kind', 't.expires_at', 't.used_at', 'g.id as grant_id', 'g.client_id', 'g.scope', 'g.resource', 'g.revoked_at'])
          .where('t.token_hash', '=', hash)
          .executeTakeFirst();
        if (!row || row.kind !== 'refresh' || row.revoked_at !== null) throw badRefresh();
        if (row.client_id !== client.id) throw new OAuthError('invalid_grant', 'This refresh token was issued to another client.');
        if (row.used_at !== null) throw new RefreshReplayed(row.grant_id);
        const now = this.clock.now().toISOString();
        if (row.expires_at <= now) throw badRefresh();
        if (form.resource !== undefined && form.resource !== row.resource) throw new OAuthError('invalid_target', `resource must be ${row.resource}.`);
        if (!scopeWithin(row.scope, form.scope)) throw new OAuthError('invalid_scope', `This authorization holds "${row.scope}"; a refresh cannot add sitepub:write. Authorize again with scope sitepub:write.`);
        const won = await tx.updateTable('oauth_tokens').set({ used_at: now }).where('token_hash', '=', hash).where('used_at', 'is', null).executeTakeFirst();
        if (Number(won.numUpdatedRows) !== 1) throw new RefreshReplayed(row.grant_id);
        await tx.updateTable('oauth_grants').set({ last_used_at: now }).where('id', '=', row.grant_id).execute();
        return this.issue(tx, row.grant_id, row.scope);
      });
    } catch (e) {
      if (!(e instanceof RefreshReplayed)) throw e;
      await this.revokeGrant(e.grantId);
      throw new OAuthError('invalid_grant', 'This refresh token was already used. As a precaution every token of this authorization is now revoked; authorize again.');
    }
  }

  private async issue(tx: Transaction<Database>, grantId: string, scope: string): Promise<TokenResponse> {
    const now = this.clock.now();
    const access = mintOAuthSecret('access');
    const refresh = mintOAuthSecret('refresh');
    const at = (ms: number): string => new Date(now.getTime() + ms).toISOString();
    await tx
      .insertInto('oauth_tokens')
      .values([
        { token_hash: tokenHash(access), grant_id: grantId, kind: 'access', created_at: now.toISOString(), expires_at: at(OAUTH_POLICY.accessTokenTtlMs), used_at: null },
        { token_hash: tokenHash(refresh), grant_id: grantId, kind: 'refresh', created_at: now.toISOString(), expires_at: at(OAUTH_POLICY.refreshTokenTtlMs), used_at: null },
      ])
      .execute();
    return { access_token: access, token_type: 'Bearer', expires_in: OAUTH_POLICY.accessTokenTtlMs / 1000, refresh_token: refresh, scope };
  }

  /**
   * RFC 7009: revokes a token of this client. A refresh token ends its whole grant; an access
   * token ends itself. Unknown tokens and tokens of other clients are ignored (the answer is the
   * same, so it tells nothing).
   */
  async revoke(client: OAuthClient, token: unknown): Promise<void> {
    if (!isOAuthSecret(token, 'access') && !isOAuthSecret(token, 'refresh')) return;
    const hash = tokenHash(token);
    const row = await this.db
      .selectFrom('oauth_tokens as t')
      .innerJoin('oauth_grants as g', 'g.id', 't.grant_id')
      .select(['t.kind', 'g.id as grant_id', 'g.client_id'])
      .where('t.token_hash', '=', hash)
      .executeTakeFirst();
    if (!row || row.client_id !== client.id) return;
    if (row.kind === 'refresh') {
      await this.revokeGrant(row.grant_id);
      return;
    }
    await this.db.deleteFrom('oauth_tokens').where('token_hash', '=', hash).execute();
    this.access.forgetToken(hash);
  }

  /** Ends a grant and every token of it (the owner disconnects an app, or a replay was seen). */
  async revokeGrant(grantId: string): Promise<boolean> {
    const revoked = await this.db.transaction().execute(async (tx) => {
      const r = await tx.updateTable('oauth_grants').set({ revoked_at: this.clock.now().toISOString() }).where('id', '=', grantId).where('revoked_at', 'is', null).executeTakeFirst();
      await tx.deleteFrom('oauth_tokens').where('grant_id', '=', grantId).execute();
      return Number(r.numUpdatedRows) === 1;
    });
    this.access.forgetGrant(grantId);
    return revoked;
  }

  /** The apps connected to a project (live grants), newest first. */
  async grantsOf(projectId: string): Promise<GrantInfo[]> {
    const rows = await this.db
      .selectFrom('oauth_grants')
      .select(['id', 'client_id', 'client_name', 'project_id', 'scope', 'created_at', 'last_used_at'])
      .where('project_id', '=', projectId)
      .where('revoked_at', 'is', null)
      .orderBy('created_at', 'desc')
      .execute();
    return rows.map(({ id, ...r }) => ({ grant_id: id, ...r }));
  }
}
