import { Hono, type Context } from 'hono';
import { isSitepubError } from '../../core/errors.js';
import { AUTHORIZATION_PARAMS, type AuthorizationParams, type AuthorizationRequest } from '../../core/oauth/authorization.js';
import { OAUTH_PATHS } from '../../core/oauth/endpoints.js';
import { AuthorizationPageError, isOAuthError } from '../../core/oauth/errors.js';
import type { AppDeps } from '../context.js';
import { checkCsrf, signedInOwner, signInRedirect } from '../owner-auth.js';
import { page, setPageHeaders } from '../owners/layout.js';
import { escapeHtml } from '../respond.js';
import { consentPage } from './consent-page.js';
import { formParams, singleParams } from './request.js';

/** Only the parameters sitepub reads, and which of them came more than once. */
function authorizationParams(all: Partial<Record<string, string>>, repeated: readonly string[]): { params: AuthorizationParams; repeated: string[] } {
  const params: AuthorizationParams = {};
  for (const k of AUTHORIZATION_PARAMS) if (all[k] !== undefined) params[k] = all[k];
  return { params, repeated: repeated.filter((k) => (AUTHORIZATION_PARAMS as readonly string[]).includes(k)) };
}

/** The authorization URL of a request, to come back to after sign-in. */
const authorizeUrl = (params: AuthorizationParams): string => `${OAUTH_PATHS.authorize}?${new URLSearchParams(params as Record<string, string>).toString()}`;

/**
 * The authorization endpoint, for a person in a browser: GET checks the request and shows the
 * consent page (or the sign-in page first); POST takes the owner's decision. A request that
 * cannot be answered at a registered redirect_uri gets a page, never a redirect. Every answer
 * carries the platform page headers (no framing, no script, no caching).
 */
export function authorizeApp(deps: AppDeps): Hono {
  const { core, logger } = deps;
  const app = new Hono();
  app.use(OAUTH_PATHS.authorize, async (c, next) => {
    setPageHeaders(c);
    await next();
  });
  app.onError((e, c) => {
    if (e instanceof AuthorizationPageError) return page(c, e.title, `<h1>${escapeHtml(e.title)}</h1><p>${escapeHtml(e.message)}</p>`, 400);
    if (isSitepubError(e) && e.type === 'FORBIDDEN') return page(c, 'Not allowed', `<h1>Not allowed</h1><p>${escapeHtml(e.message)}</p>`, 403);
    if (isOAuthError(e)) return page(c, 'Bad request', `<h1>Bad request</h1><p>${escapeHtml(e.description)}</p>`, 400);
    logger.error({ err: e, route: c.req.path }, 'authorization request failed');
    return page(c, 'Something went wrong', '<h1>Something went wrong</h1><p>The request could not be completed. Start the connection again from the app.</p>', 400);
  });

  const check = async (params: AuthorizationParams, repeated: string[]) => core.oauth.checkAuthorization(params, repeated);

  app.get(OAUTH_PATHS.authorize, async (c) => {
    const { fields, repeated: r } = singleParams(new URL(c.req.url).searchParams);
    const { params, repeated } = authorizationParams(fields, r);
    const checked = await check(params, repeated);
    if (!checked.ok) return c.redirect(checked.refusal.redirectTo, 302);
    const owner = await signedInOwner(c, deps);
    if (!owner) return signInRedirect(c, authorizeUrl(params));
    return consentPage(c, checked.request, owner, await core.owners.projectsOf(owner.ownerId));
  });

  app.post(OAUTH_PATHS.authorize, async (c) => {
    const { fields, repeated: r } = await formParams(c);
    const { params, repeated } = authorizationParams(fields, r);
    const checked = await check(params, repeated);
    if (!checked.ok) return c.redirect(checked.refusal.redirectTo, 303);
    const owner = await signedInOwner(c, deps);
    if (!owner) return signInRedirect(c, authorizeUrl(params));
    checkCsrf(owner, fields.csrf);
    return decide(c, checked.request, owner.ownerId, fields.decision, fields.project_id);
  });

  const decide = async (c: Context, req: AuthorizationRequest, ownerId: string, decision: string | undefined, projectId: string | undefined): Promise<Response> => {
    if (decision === 'deny') return c.redirect(core.oauth.deny(req), 303);
    if (decision !== 'approve') return page(c, 'Bad request', '<h1>Bad request</h1><p>Choose Allow or Deny.</p>', 400);
    const projects = await core.owners.projectsOf(ownerId);
    if (!projectId || !projects.some((p) => p.id === projectId)) {
      return page(c, 'Choose a project', '<h1>Choose a project</h1><p>That project is not one you can connect. Go back and choose one from the list.</p>', 400);
    }
    return c.redirect(await core.oauth.approve(req, ownerId, projectId), 303);
  };

  return app;
}
