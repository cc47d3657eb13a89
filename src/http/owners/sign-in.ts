import type { Context, Hono } from 'hono';
import { getCookie, setCookie } from 'hono/cookie';
import { isSitepubError, SitepubError, toErrorBody } from '../../core/errors.js';
import { formToken } from '../../core/owners/secrets.js';
import { clientIp } from '../client-ip.js';
import type { AppDeps } from '../context.js';
import { checkCsrf, clearSessionCookie, safeNext, sameSecret, sentSessionCookie, setSessionCookie, signedInOwner } from '../owner-auth.js';
import { escapeHtml } from '../respond.js';
import { hidden, page } from './layout.js';

/**
 * Owner sign-in on the platform origin (CONTRACT section 8, docs/owners.md): the `/login` form,
 * one-time sign-in links, sign-out, and `GET /` (the signed-in home, or the sign-in form).
 *
 * The sign-in form is protected against login CSRF (a page elsewhere signing the browser into
 * the attacker's account) by a double-submit token: a random cookie that the form repeats.
 */
const LOGIN_CSRF_COOKIE = 'sitepub_login_csrf';

type Status = 200 | 400 | 401 | 403 | 429;

export function loginForm(c: Context, deps: AppDeps, opts: { next: string; email?: string; error?: string; status?: Status }): Response {
  let token = getCookie(c, LOGIN_CSRF_COOKIE);
  if (!token || !/^[A-Za-z0-9_-]{43}$/.test(token)) {
    token = formToken();
    setCookie(c, LOGIN_CSRF_COOKIE, token, { path: '/login', httpOnly: true, sameSite: 'Lax', secure: deps.core.urls.publicUrl.startsWith('https:'), maxAge: 3600 });
  }
  const error = opts.error ? `<p class="error" role="alert">${escapeHtml(opts.error)}</p>` : '';
  return page(
    c,
    'Sign in',
    `<h1>Sign in to sitepub</h1>${error}
<form method="post" action="/login">${hidden('csrf', token)}${hidden('next', opts.next)}
<label for="email">Email</label><input id="email" name="email" type="email" autocomplete="username" required value="${escapeHtml(opts.email ?? '')}">
<label for="password">Password</label><input id="password" name="password" type="password" autocomplete="current-password" required>
<button type="submit">Sign in</button></form>
<p class="muted">No password, or locked out? On the server run <code>sitepub owner login-link --email YOU</code> for a one-time sign-in link.</p>`,
    opts.status ?? 200,
  );
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

export function mountSignIn(app: Hono, deps: AppDeps): void {
  const { core } = deps;

  app.get('/login', async (c) => {
    const next = safeNext(c.req.query('next'));
    if (await signedInOwner(c, deps)) return c.redirect(next, 302);
    return loginForm(c, deps, { next });
  });

  app.post('/login', async (c) => {
    const form = await c.req.parseBody();
    const next = safeNext(form.next);
    const email = str(form.email).slice(0, 254);
    const cookie = getCookie(c, LOGIN_CSRF_COOKIE);
    if (!cookie || !sameSecret(cookie, form.csrf)) {
      return loginForm(c, deps, { next, email, status: 403, error: 'The sign-in form had expired. Please sign in again.' });
    }
    try {
      const session = await core.owners.signIn({ email, password: str(form.password), ip: clientIp(c, deps.trust) ?? null, replacing: sentSessionCookie(c) });
      setSessionCookie(c, deps, session);
      return c.redirect(next, 302);
    } catch (e) {
      if (!isSitepubError(e)) throw e;
      const body = toErrorBody(e);
      if (typeof body.retry_after === 'number') c.header('Retry-After', String(body.retry_after));
      const status: Status = body.type === 'RATE_LIMITED' ? 429 : body.type === 'VALIDATION_ERROR' ? 400 : 401;
      return loginForm(c, deps, { next, email, status, error: body.message });
    }
  });

  // A one-time link (`sitepub owner login-link`, the first start): visiting it signs the browser in.
  app.get('/login/link/:token', async (c) => {
    try {
      const session = await core.owners.signInWithLink(c.req.param('token'), sentSessionCookie(c));
      setSessionCookie(c, deps, session);
      return c.redirect('/', 302);
    } catch (e) {
      if (!isSitepubError(e)) throw e;
      const status = e.type === 'TOKEN_INVALID' ? 400 : 410;
      return page(c, 'Sign-in link not valid', `<h1>This sign-in link cannot be used</h1><p class="error" role="alert">${escapeHtml(e.message)}</p><p><a href="/login">Sign in with a password</a></p>`, status as 400);
    }
  });

  app.get('/logout', async (c) => {
    const owner = await signedInOwner(c, deps);
    if (!owner) return c.redirect('/login', 302);
    return page(c, 'Sign out', `<h1>Sign out</h1><p>Signed in as ${escapeHtml(owner.email)}.</p><form method="post" action="/logout">${hidden('csrf', owner.csrfToken)}<button type="submit">Sign out</button></form>`);
  });

  app.post('/logout', async (c) => {
    const owner = await signedInOwner(c, deps);
    if (owner) {
      const form = await c.req.parseBody();
      try {
        checkCsrf(owner, form.csrf);
      } catch (e) {
        if (!(e instanceof SitepubError)) throw e;
        return page(c, 'Sign out', `<h1>Sign out</h1><p class="error" role="alert">${escapeHtml(e.message)}</p><p><a href="/logout">Back</a></p>`, 403);
      }
      await core.owners.signOut(owner.sessionId);
    }
    clearSessionCookie(c, deps);
    return c.redirect('/login', 302);
  });
}
