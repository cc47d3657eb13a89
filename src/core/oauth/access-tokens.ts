import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { SitepubError } from '../errors.js';
import { tokenHash } from '../ids.js';
import type { Actor } from '../projects.js';
import { OAUTH_POLICY } from './policy.js';
import { actorScope } from './scopes.js';
import { isOAuthSecret } from './secrets.js';
import { countBoundedLru } from '../lru.js';

interface Checked {
  actor: Actor;
  grantId: string;
  /** Epoch ms. */
  expiresAt: number;
}

export const invalidAccessToken = (): SitepubError =>
  new SitepubError('UNAUTHORIZED', 'The OAuth access token is invalid, expired or revoked. Refresh it with the refresh token, or authorize again.');

/**
 * The check of an OAuth access token on every /mcp and REST request: one lookup by the SHA-256 of
 * the token (joined to its grant), remembered in the process for a few seconds
 * (OAUTH_POLICY.accessCheckCacheMs). Revoking on this instance forgets the token at once; another
 * instance's cache lets it work for at most those seconds more. Expiry is checked on every call,
 * cached or not.
 */
export class AccessTokenCheck {
  private readonly cache = countBoundedLru<string, Checked>(OAUTH_POLICY.accessCheckCacheMax, { ttl: OAUTH_POLICY.accessCheckCacheMs });

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    /** The resource tokens must be bound to: `{public}/mcp`. */
    private readonly resource: string,
  ) {}

  async check(token: string): Promise<Actor> {
    if (!isOAuthSecret(token, 'access')) throw invalidAccessToken();
    const hash = tokenHash(token);
    const now = this.clock.now();
    const hit = this.cache.get(hash);
    if (hit) {
      if (hit.expiresAt <= now.getTime()) throw invalidAccessToken();
      return hit.actor;
    }
    const row = await this.db
      .selectFrom('oauth_tokens as t')
      .innerJoin('oauth_grants as g', 'g.id', 't.grant_id')
      .select(['t.expires_at', 't.kind', 'g.id as grant_id', 'g.project_id', 'g.scope', 'g.resource', 'g.revoked_at', 'g.last_used_at'])
      .where('t.token_hash', '=', hash)
      .executeTakeFirst();
    if (!row || row.kind !== 'access' || row.revoked_at !== null || row.resource !== this.resource) throw invalidAccessToken();
    const expiresAt = Date.parse(row.expires_at);
    if (expiresAt <= now.getTime()) throw invalidAccessToken();
    if (now.getTime() - Date.parse(row.last_used_at) >= OAUTH_POLICY.touchEveryMs) {
      await this.db.updateTable('oauth_grants').set({ last_used_at: now.toISOString() }).where('id', '=', row.grant_id).execute();
    }
    const actor: Actor = { kind: 'project', projectId: row.project_id, scope: actorScope(row.scope), tokenId: row.grant_id, oauth: true };
    this.cache.set(hash, { actor, grantId: row.grant_id, expiresAt });
    return actor;
  }

  /** Forgets one token (revoked on this instance). */
  forgetToken(hash: string): void {
    this.cache.delete(hash);
  }

  /** Forgets every token of a grant (revoked on this instance). */
  forgetGrant(grantId: string): void {
    const gone = [...this.cache.entries()].filter(([, v]) => v.grantId === grantId).map(([hash]) => hash);
    for (const hash of gone) this.cache.delete(hash);
  }
}
