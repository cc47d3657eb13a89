import type { Context } from 'hono';
import type { AppDeps } from './context.js';

/**
 * The signed-in owner of a platform request (CONTRACT: owners sign in on the platform origin; a
 * session cookie names a session stored in the database, so every instance shares it).
 * Implemented with the owner sign-in work; the OAuth consent page and the dashboard build on it.
 */
export interface SignedInOwner {
  ownerId: string;
  email: string;
  sessionId: string;
  /** The session's CSRF token: every state-changing form carries it (hidden field `csrf`). */
  csrfToken: string;
}

/** The owner signed in on this request, or undefined. */
export async function signedInOwner(_c: Context, _deps: AppDeps): Promise<SignedInOwner | undefined> {
  return undefined;
}

/** Throws FORBIDDEN unless `submitted` is the session's CSRF token (constant-time comparison). */
export function checkCsrf(_owner: SignedInOwner, _submitted: unknown): void {
  throw new Error('not implemented yet');
}

/** 302 to the sign-in page, coming back to `next` (a same-origin relative path; anything else is dropped) after sign-in. */
export function signInRedirect(c: Context, next: string): Response {
  return c.redirect(`/login?next=${encodeURIComponent(next.startsWith('/') && !next.startsWith('//') ? next : '/')}`, 302);
}
