import type { Kysely } from 'kysely';
import { unlessTaken } from '../../db/constraints.js';
import type { Database, OwnerTable } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import type { UrlConfig } from '../config.js';
import { SitepubError, invalid, notFound } from '../errors.js';
import { newId } from '../ids.js';
import type { Project, ProjectService } from '../projects.js';
import type { RateLimiter } from '../rate-limit.js';
import { LoginLinks } from './login-links.js';
import { DEFAULT_LOGIN_LIMITS, LoginThrottle, type LoginLimits } from './login-throttle.js';
import { checkNewPassword, dummyVerify, hashPassword, verifyPassword } from './password.js';
import { SessionStore, type NewSession, type OwnerSession } from './sessions.js';

/** A person who signs in on the platform origin. */
export interface Owner {
  id: string;
  email: string;
  /** False: this owner signs in by one-time link only. */
  has_password: boolean;
  created_at: string;
}

export interface LoginLink {
  /** `{SITEPUB_PUBLIC_URL}/login/link/{token}`: shown once. */
  url: string;
  expires_at: string;
}

const EMAIL_MAX = 254;
/** Something@something: deliverability is not ours to judge (`owner@localhost` is the first start's). */
const EMAIL_SHAPE = /^[^\s@]+@[^\s@]+$/;

/** The one spelling of an email sitepub stores and compares: trimmed, NFC, lower case. */
export function normalizeEmail(email: string): string {
  return email.trim().normalize('NFC').toLowerCase();
}

function checkedEmail(email: string): string {
  const e = normalizeEmail(email);
  if (e.length > EMAIL_MAX || !EMAIL_SHAPE.test(e)) throw invalid('An email address is needed (name@host, at most 254 characters).', { field: 'email' });
  return e;
}

const WRONG = (): SitepubError => new SitepubError('UNAUTHORIZED', 'Email or password is wrong.');
const waitError = (wait: number): SitepubError => new SitepubError('RATE_LIMITED', `Too many failed sign-ins; retry in ${wait} s.`, { retry_after: wait });

export interface OwnerServiceOptions {
  /** The failure window of the platform's rate limiter (its table's sweep uses it). */
  windowSec: number;
  loginLimits?: LoginLimits;
}

/**
 * Owner accounts and their sign-in: passwords, one-time links and sessions, all in the database
 * so every instance shares them (docs/owners.md).
 *
 * Owners and projects: every owner of an instance administers every project on it (a self-hosted
 * instance has one operator team). `projectsOf` is the one place that says so; a per-owner model
 * changes it and nothing else.
 */
export class OwnerService {
  readonly sessions: SessionStore;
  private readonly links: LoginLinks;
  private readonly throttle: LoginThrottle;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly urls: UrlConfig,
    private readonly projects: ProjectService,
    limiter: RateLimiter,
    options: OwnerServiceOptions,
  ) {
    this.sessions = new SessionStore(db, clock);
    this.links = new LoginLinks(db, clock);
    this.throttle = new LoginThrottle(db, clock, limiter, options.windowSec, options.loginLimits ?? DEFAULT_LOGIN_LIMITS);
  }

  private toOwner(row: Pick<OwnerTable, 'id' | 'email' | 'password_hash' | 'created_at'>): Owner {
    return { id: row.id, email: row.email, has_password: row.password_hash !== null, created_at: row.created_at };
  }

  /** A new owner; without a password they sign in by one-time link. A taken email is ALREADY_EXISTS. */
  async create(input: { email: string; password?: string | undefined }): Promise<Owner> {
    const email = checkedEmail(input.email);
    if (input.password !== undefined) checkNewPassword(input.password);
    const taken = (): SitepubError => new SitepubError('ALREADY_EXISTS', `An owner with the email "${email}" exists already.`, { field: 'email' });
    if (await this.findByEmail(email)) throw taken();
    const row = {
      id: newId('own'),
      email,
      password_hash: input.password === undefined ? null : await hashPassword(input.password),
      created_at: this.clock.now().toISOString(),
    };
    // Two instances creating one email at once both pass the check; the unique constraint decides.
    await unlessTaken(this.db.insertInto('owners').values(row).execute(), taken);
    return this.toOwner(row);
  }

  async findByEmail(email: string): Promise<Owner | undefined> {
    const row = await this.db.selectFrom('owners').select(['id', 'email', 'password_hash', 'created_at']).where('email', '=', normalizeEmail(email)).executeTakeFirst();
    return row ? this.toOwner(row) : undefined;
  }

  async list(): Promise<Owner[]> {
    const rows = await this.db.selectFrom('owners').select(['id', 'email', 'password_hash', 'created_at']).orderBy('created_at').orderBy('id').execute();
    return rows.map((r) => this.toOwner(r));
  }

  /** A one-time sign-in URL for the owner with this email (NOT_FOUND if there is none), valid 15 minutes. */
  async loginLink(email: string): Promise<LoginLink> {
    const owner = await this.findByEmail(email);
    if (!owner) throw notFound(`Owner "${normalizeEmail(email)}"`, { field: 'email' });
    return this.loginLinkFor(owner.id);
  }

  async loginLinkFor(ownerId: string): Promise<LoginLink> {
    const { token, expires_at } = await this.links.issue(ownerId);
    return { url: `${this.urls.publicUrl}/login/link/${token}`, expires_at };
  }

  /**
   * Signs in with a password. A blocked address or email waits (RATE_LIMITED with retry_after)
   * before the password is even looked at, so a right password says nothing while blocked. An
   * unknown email, an owner without a password and a wrong password take the same time and give
   * the same UNAUTHORIZED. `replacing`: the session cookie the browser sent, ended here.
   */
  async signIn(input: { email: string; password: string; ip: string | null; replacing?: string | undefined }): Promise<NewSession> {
    const email = normalizeEmail(input.email).slice(0, EMAIL_MAX);
    const wait = await this.throttle.waitFor(input.ip, email);
    if (wait > 0) throw waitError(wait);
    const row = email ? await this.db.selectFrom('owners').select(['id', 'email', 'password_hash']).where('email', '=', email).executeTakeFirst() : undefined;
    const ok = row?.password_hash ? await verifyPassword(input.password, row.password_hash) : await dummyVerify(input.password);
    if (!ok || !row) {
      const now = await this.throttle.fail(input.ip, email);
      if (now > 0) throw waitError(now);
      throw WRONG();
    }
    return this.db.transaction().execute((tx) => this.sessions.create(tx, row, input.replacing));
  }

  /** Signs in with a one-time link: uses it up and makes the session in one transaction. */
  async signInWithLink(token: string, replacing?: string): Promise<NewSession> {
    return this.db.transaction().execute(async (tx) => {
      const { ownerId } = await this.links.consume(tx, token);
      const owner = await tx.selectFrom('owners').select(['id', 'email']).where('id', '=', ownerId).executeTakeFirstOrThrow();
      return this.sessions.create(tx, owner, replacing);
    });
  }

  /** The live session a cookie names, or undefined. */
  session(secret: string | undefined): Promise<OwnerSession | undefined> {
    return this.sessions.lookup(secret);
  }

  signOut(sessionId: string): Promise<void> {
    return this.sessions.end(sessionId);
  }

  /** The projects this owner may manage and grant access to: every project of the instance (see the class comment). */
  async projectsOf(ownerId: string): Promise<Project[]> {
    const exists = await this.db.selectFrom('owners').select('id').where('id', '=', ownerId).executeTakeFirst();
    if (!exists) throw notFound(`Owner "${ownerId}"`);
    return this.projects.list();
  }
}
