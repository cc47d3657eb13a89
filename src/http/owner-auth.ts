import { timingSafeEqual } from 'node:crypto';
import type { Context } from 'hono';
import { deleteCookie, getCookie, setCookie } from 'hono/cookie';
import { SitepubError } from '../core/errors.js';
import type { NewSession } from '../core/owners/sessions.js';
import type { AppDeps } from './context.js';

/**
 * The signed-in owner of a platform request (CONTRACT section 8: owners sign in on the platform
 * origin; the session cookie names a session stored in the database, so every instance shares
 * it). The sign-in pages (owner-pages.ts), the OAuth consent page and the dashboard build on this.
 */
export interface SignedInOwner {
  ownerId: string;
  email: string;
  sessionId: string;
  /** The session's CSRF token: every state-changing form carries it (hidden field `csrf`). */
  csrfToken: string;
}

/** The cookie that carries a session's secret (only its hash is stored). Host-only: no Domain attribute, so site subdomains never see it. */
export const SESSION_COOKIE = 'sitepub_session';

const secure = (deps: AppDeps): boolean => deps.core.urls.publicUrl.startsWith('https:');

/** The owner signed in on this request, or undefined. One read by primary key. */
export async function signedInOwner(c: Context, deps: AppDeps): Promise<SignedInOwner | undefined> {
  const s = await deps.core.owners.session(getCookie(c, SESSION_COOKIE));
  return s ? { ownerId: s.ownerId, email: s.email, sessionId: s.sessionId, csrfToken: s.csrfToken } : undefined;
}

/** The session cookie the browser sent, unchecked (a new sign-in ends that session: no fixation). */
export const sentSessionCookie = (c: Context): string | undefined => getCookie(c, SESSION_COOKIE);

/** Sets the cookie of a session just made: HttpOnly, SameSite=Lax, Secure when the public URL is https, until the session's absolute end. */
export function setSessionCookie(c: Context, deps: AppDeps, session: NewSession): void {
  const maxAge = Math.max(0, Math.floor((Date.parse(session.absoluteExpiresAt) - deps.core.clock.now().getTime()) / 1000));
  setCookie(c, SESSION_COOKIE, session.secret, { path: '/', httpOnly: true, sameSite: 'Lax', secure: secure(deps), maxAge });
}

export function clearSessionCookie(c: Context, deps: AppDeps): void {
  deleteCookie(c, SESSION_COOKIE, { path: '/', httpOnly: true, sameSite: 'Lax', secure: secure(deps) });
}

/** Constant-time string comparison; false for anything that is not a non-empty string. */
export function sameSecret(expected: string, submitted: unknown): boolean {
  if (typeof submitted !== 'string' || submitted.length === 0) return false;
  const a = Buffer.from(expected);
  const b = Buffer.from(submitted);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** Throws FORBIDDEN unless `submitted` is the session's CSRF token (constant-time comparison). */
export function checkCsrf(owner: SignedInOwner, submitted: unknown): void {
  if (!sameSecret(owner.csrfToken, submitted)) {
    throw new SitepubError('FORBIDDEN', 'This form has expired or did not come from this site (CSRF check failed). Reload the page and try again.');
  }
}

/**
 * A same-origin path to go to after sign-in, or `/`. Only a path that starts with one `/` is kept:
 * `//host`, `/\host`, schemes and control characters would leave the platform (an open redirect).
 */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string' || next.length > 2048 || !next.startsWith('/')) return '/';
  if (next.startsWith('//') || next.startsWith('/\\') || /[\u0000-\u001f\u007f\\]/.test(next)) return '/';
  return next;
}

/** 302 to the sign-in page, coming back to `next` (a same-origin relative path; anything else is dropped) after sign-in. */
export function signInRedirect(c: Context, next: string): Response {
  const to = safeNext(next);
  return c.redirect(to === '/' ? '/login' : `/login?next=${encodeURIComponent(to)}`, 302);
}
