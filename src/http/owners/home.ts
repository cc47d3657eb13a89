import type { Hono } from 'hono';
import type { AppDeps } from '../context.js';
import { projectsPage } from '../dashboard/index.js';
import { signedInOwner } from '../owner-auth.js';
import { loginForm } from './sign-in.js';

/**
 * `GET /` on the platform origin: the dashboard's project list when signed in (projects, their
 * sites and status, the MCP URL to paste into an assistant), or the sign-in page.
 */
export function mountHome(app: Hono, deps: AppDeps): void {
  app.get('/', async (c) => {
    const owner = await signedInOwner(c, deps);
    if (!owner) return loginForm(c, deps, { next: '/' });
    return projectsPage(c, deps, owner);
  });
}
