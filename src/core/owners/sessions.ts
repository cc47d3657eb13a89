import type { Kysely, Transaction } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { tokenHash } from '../ids.js';
import { formToken, isOwnerSecret, mintOwnerSecret } from './secrets.js';

/**
 * How long a sign-in lasts (docs/owners.md): at most 30 days from sign-in, and 7 days without a
 * visit. The last visit is written at most once an hour per session, so a page view costs one
 * indexed read and, rarely, one small write.
 */
export const SESSION_LIFETIME = Object.freeze({
  absoluteMs: 30 * 24 * 3600_000,
  idleMs: 7 * 24 * 3600_000,
  touchEveryMs: 3600_000,
});

/** A signed-in browser, as the platform pages see it. */
export interface OwnerSession {
  sessionId: string;
  ownerId: string;
  email: string;
  csrfToken: string;
  /** When it ends if unused: the earlier of the absolute and the idle limit. */
  expiresAt: string;
}

/** A session just made: `secret` goes into the cookie and nowhere else (only its hash is stored). */
export interface NewSession extends OwnerSession {
  secret: string;
  /** The absolute end, for the cookie's Max-Age. */
  absoluteExpiresAt: string;
}

type Db = Kysely<Database> | Transaction<Database>;

/** Sessions in the database, so every instance shares them and signing out ends one everywhere at once. */
export class SessionStore {
  private lastSweep = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
  ) {}

  /**
   * A new session for the owner. `replacing` is the cookie the browser sent, if any: that session
   * ends here, so a session id planted before sign-in (fixation) never becomes a signed-in one.
   */
  async create(tx: Db, owner: { id: string; email: string }, replacing?: string): Promise<NewSession> {
    const now = this.clock.now();
    if (isOwnerSecret(replacing, 'session')) await tx.deleteFrom('owner_sessions').where('id', '=', tokenHash(replacing)).execute();
    const secret = mintOwnerSecret('session');
    const row = {
      id: tokenHash(secret),
      owner_id: owner.id,
      csrf_secret: formToken(),
      created_at: now.toISOString(),
      last_seen_at: now.toISOString(),
      expires_at: new Date(now.getTime() + SESSION_LIFETIME.absoluteMs).toISOString(),
    };
    await tx.insertInto('owner_sessions').values(row).execute();
    await this.sweep(tx, now);
    return { ...this.toSession(row, owner.email), secret, absoluteExpiresAt: row.expires_at };
  }

  /** The live session a cookie names, or undefined (malformed, unknown, signed out or expired). One read by primary key. */
  async lookup(secret: string | undefined): Promise<OwnerSession | undefined> {
    if (!isOwnerSecret(secret, 'session')) return undefined;
    const id = tokenHash(secret);
    const row = await this.db
      .selectFrom('owner_sessions as s')
      .innerJoin('owners as o', 'o.id', 's.owner_id')
      .select(['s.id', 's.owner_id', 's.csrf_secret', 's.created_at', 's.last_seen_at', 's.expires_at', 'o.email'])
      .where('s.id', '=', id)
      .executeTakeFirst();
    if (!row) return undefined;
    const now = this.clock.now();
    const session = this.toSession(row, row.email);
    if (now.toISOString() >= session.expiresAt) {
      await this.db.deleteFrom('owner_sessions').where('id', '=', id).execute();
      return undefined;
    }
    if (now.getTime() - Date.parse(row.last_seen_at) >= SESSION_LIFETIME.touchEveryMs) {
      const seen = now.toISOString();
      await this.db.updateTable('owner_sessions').set({ last_seen_at: seen }).where('id', '=', id).execute();
      return this.toSession({ ...row, last_seen_at: seen }, row.email);
    }
    return session;
  }

  /** Ends one session (sign-out). */
  async end(sessionId: string): Promise<void> {
    await this.db.deleteFrom('owner_sessions').where('id', '=', sessionId).execute();
  }

  /** Ends every session of an owner; returns how many there were. */
  async endAllOf(ownerId: string): Promise<number> {
    const r = await this.db.deleteFrom('owner_sessions').where('owner_id', '=', ownerId).executeTakeFirst();
    return Number(r.numDeletedRows);
  }

  private toSession(row: { id: string; owner_id: string; csrf_secret: string; last_seen_at: string; expires_at: string }, email: string): OwnerSession {
    const idleEnd = new Date(Date.parse(row.last_seen_at) + SESSION_LIFETIME.idleMs).toISOString();
    return { sessionId: row.id, ownerId: row.owner_id, email, csrfToken: row.csrf_secret, expiresAt: idleEnd < row.expires_at ? idleEnd : row.expires_at };
  }

  /** Ended sessions say nothing any more: dropped about once an hour per process, when someone signs in. */
  private async sweep(tx: Db, now: Date): Promise<void> {
    if (now.getTime() - this.lastSweep < SESSION_LIFETIME.touchEveryMs) return;
    this.lastSweep = now.getTime();
    const idleCutoff = new Date(now.getTime() - SESSION_LIFETIME.idleMs).toISOString();
    await tx
      .deleteFrom('owner_sessions')
      .where((eb) => eb.or([eb('expires_at', '<=', now.toISOString()), eb('last_seen_at', '<=', idleCutoff)]))
      .execute();
  }
}
