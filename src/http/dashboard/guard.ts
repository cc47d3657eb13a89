import type { MiddlewareHandler } from 'hono';
import { SitepubError, notFound } from '../../core/errors.js';
import type { AppDeps } from '../context.js';
import { checkCsrf, signInRedirect, signedInOwner } from '../owner-auth.js';
import type { DashContext, DashEnv } from './context.js';
import { dashboardPage } from './layout.js';
import { html } from './html.js';
import { setDashboardHeaders } from './headers.js';

/**
 * Every dashboard route but the static files needs a signed-in owner: a page asked for signed out
 * goes to the sign-in form and comes back (`next` is this same-origin path); a form sent signed
 * out is refused (its CSRF token died with the session anyway).
 */
export function requireOwner(deps: AppDeps): MiddlewareHandler<DashEnv> {
  return async (c, next) => {
    const owner = await signedInOwner(c, deps);
    if (!owner) {
      setDashboardHeaders(c, deps.core.urls);
      if (c.req.method === 'GET' || c.req.method === 'HEAD') {
        const url = new URL(c.req.url);
        return signInRedirect(c, url.pathname + url.search);
      }
      return c.html(`<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Signed out · sitepub</title></head><body><main><h1>You are signed out</h1><p>Nothing was changed. <a href="/login">Sign in</a> and try again.</p></main></body></html>`, 401);
    }
    c.set('owner', owner);
    await next();
  };
}

/**
 * Project routes (`/p/:pid/...`): the project must be one the owner manages (OwnerService.projectsOf),
 * else NOT_FOUND, the same answer as a project that does not exist.
 */
export function requireProject(deps: AppDeps): MiddlewareHandler<DashEnv> {
  return async (c, next) => {
    const id = c.req.param('pid');
    const projects = await deps.core.owners.projectsOf(c.get('owner').ownerId);
    const project = projects.find((p) => p.id === id);
    if (!project) throw notFound('Project');
    c.set('project', project);
    await next();
  };
}

export type Form = Record<string, string | File>;

/** The body of a state-changing form, after its CSRF token checked out (FORBIDDEN otherwise). */
export async function csrfForm(c: DashContext): Promise<Form> {
  const form = (await c.req.parseBody()) as Form;
  checkCsrf(c.get('owner'), form.csrf);
  return form;
}

const SECTION_OF = /^\/dashboard\/p\/[^/]+\/(page|asset|download|stats)/;

/** Where "Back" leads from an error: the section the request was in, or the project list. */
function backFrom(path: string): string {
  const m = /^\/dashboard\/p\/[^/]+/.exec(path);
  if (!m) return '/';
  const s = SECTION_OF.exec(path)?.[1];
  return s === 'page' ? `${m[0]}/pages` : s === 'asset' ? `${m[0]}/assets` : s === 'download' ? `${m[0]}/downloads` : s === 'stats' ? `${m[0]}/stats` : m[0];
}

type Status = 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500;

/**
 * The dashboard's one error mapping: a SitepubError becomes a page saying what went wrong (its
 * message, written for people and models alike) with its status; anything else is logged and
 * shown as a generic failure, never its detail.
 */
export function dashboardError(deps: AppDeps) {
  return (e: Error, c: DashContext): Response => {
    const known = e instanceof SitepubError;
    if (!known) deps.logger.error({ err: e, route: c.req.path }, 'dashboard request failed');
    const status = (known ? e.status : 500) as Status;
    const message = known ? e.message : 'Something went wrong on the server; nothing was changed. Try again, or look at the server log.';
    const owner = c.get('owner');
    if (!owner) return c.text(message, status);
    return dashboardPage(c, deps.core.urls, {
      title: status === 404 ? 'Not found' : 'That did not work',
      owner,
      project: c.get('project'),
      status,
      body: html`<h1>${status === 404 ? 'Not found' : 'That did not work'}</h1><p class="error" role="alert">${message}</p><p><a href="${backFrom(c.req.path)}">Back</a></p>`,
    });
  };
}
