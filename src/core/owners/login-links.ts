import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { SitepubError } from '../errors.js';
import { tokenHash } from '../ids.js';
import { isOwnerSecret, mintOwnerSecret } from './secrets.js';

/** A sign-in link works once, within 15 minutes of being made. */
export const LOGIN_LINK_TTL_MS = 15 * 60_000;
/** Used and expired links are kept a day (so a late click is told "used" or "expired", not "unknown"), then dropped. */
const KEEP_MS = 24 * 3600_000;

export interface IssuedLoginLink {
  /** Shown once, inside the URL; only its hash is stored. */
  token: string;
  expires_at: string;
}

/** One-time sign-in links for headless servers and the first start (`sitepub owner login-link`). */
export class LoginLinks {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async issue(ownerId: string): Promise<IssuedLoginLink> {
    const now = this.clock.now();
    const token = mintOwnerSecret('loginLink');
    const expires_at = new Date(now.getTime() + LOGIN_LINK_TTL_MS).toISOString();
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('owner_login_links').where('expires_at', '<=', new Date(now.getTime() - KEEP_MS).toISOString()).execute();
      await tx.insertInto('owner_login_links').values({ token_hash: tokenHash(token), owner_id: ownerId, created_at: now.toISOString(), expires_at, used_at: null }).execute();
    });
    return { token, expires_at };
  }

  /**
   * Uses the link up, inside the caller's transaction, and answers whose it is. One conditional
   * UPDATE decides: of any number of requests on any number of instances, one wins. Refusals are
   * typed: TOKEN_INVALID (unknown or malformed), TOKEN_EXHAUSTED (used), TOKEN_EXPIRED.
   */
  async consume(tx: Transaction<Database>, token: string): Promise<{ ownerId: string }> {
    if (!isOwnerSecret(token, 'loginLink')) throw invalidLink();
    const hash = tokenHash(token);
    const now = this.clock.now().toISOString();
    const won = await tx
      .updateTable('owner_login_links')
      .set({ used_at: now })
      .where('token_hash', '=', hash)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .returning('owner_id')
      .executeTakeFirst();
    if (won) return { ownerId: won.owner_id };
    const row = await tx.selectFrom('owner_login_links').select(['used_at', 'expires_at']).where('token_hash', '=', hash).executeTakeFirst();
    if (!row) throw invalidLink();
    if (row.used_at) throw new SitepubError('TOKEN_EXHAUSTED', 'This sign-in link has already been used. Make a new one with `sitepub owner login-link --email EMAIL`.');
    throw new SitepubError('TOKEN_EXPIRED', 'This sign-in link has expired (links work for 15 minutes). Make a new one with `sitepub owner login-link --email EMAIL`.');
  }
}

const invalidLink = (): SitepubError => new SitepubError('TOKEN_INVALID', 'This sign-in link is not valid. Make a new one with `sitepub owner login-link --email EMAIL`.');
