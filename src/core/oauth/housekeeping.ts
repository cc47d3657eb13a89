import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { OAUTH_POLICY } from './policy.js';

const DAY = 24 * 3600_000;

/**
 * Drops what says nothing any more: codes a day after they expired (kept that long so a replayed
 * code still revokes its grant), expired tokens, grants revoked 30 days ago or with no token left
 * for a refresh token's lifetime, DCR registrations never used within a day or idle 90 days
 * without a live grant, and metadata documents a day after their cache ran out.
 */
export async function sweepOAuth(db: Kysely<Database>, now: Date): Promise<void> {
  const t = now.getTime();
  const iso = (ms: number): string => new Date(ms).toISOString();
  await db.deleteFrom('oauth_codes').where('expires_at', '<', iso(t - DAY)).execute();
  await db.deleteFrom('oauth_tokens').where('expires_at', '<', iso(t)).execute();
  await db
    .deleteFrom('oauth_grants')
    .where((eb) =>
      eb.or([
        eb('revoked_at', '<', iso(t - 30 * DAY)),
        eb.and([
          eb('last_used_at', '<', iso(t - OAUTH_POLICY.refreshTokenTtlMs)),
          eb.not(eb.exists(eb.selectFrom('oauth_tokens').select('oauth_tokens.grant_id').whereRef('oauth_tokens.grant_id', '=', 'oauth_grants.id'))),
        ]),
      ]),
    )
    .execute();
  await db
    .deleteFrom('oauth_clients')
    .where('kind', '=', 'dcr')
    .where((eb) =>
      eb.or([
        eb.and([eb('used_at', 'is', null), eb('created_at', '<', iso(t - OAUTH_POLICY.unusedClientTtlMs))]),
        eb.and([
          eb('used_at', '<', iso(t - OAUTH_POLICY.idleClientTtlMs)),
          eb.not(
            eb.exists(
              eb.selectFrom('oauth_grants').select('oauth_grants.id').whereRef('oauth_grants.client_id', '=', 'oauth_clients.id').where('oauth_grants.revoked_at', 'is', null),
            ),
          ),
        ]),
      ]),
    )
    .execute();
  await db.deleteFrom('oauth_clients').where('kind', '=', 'cimd').where('expires_at', '<', iso(t - DAY)).execute();
}

/** Runs sweepOAuth at most once an hour per process, from the writes that add rows (registrations, code exchanges). */
export class Housekeeping {
  private last = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  async maybeSweep(): Promise<void> {
    const now = this.clock.now();
    if (now.getTime() - this.last < OAUTH_POLICY.sweepEveryMs) return;
    this.last = now.getTime();
    await sweepOAuth(this.db, now);
  }
}
