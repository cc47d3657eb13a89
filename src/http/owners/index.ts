import type { Hono } from 'hono';
import type { AppDeps } from '../context.js';
import { dashboardApp } from '../dashboard/index.js';
import { mountHome } from './home.js';
import { setPageHeaders } from './layout.js';
import { mountSignIn } from './sign-in.js';

/** The pages a person uses on the platform origin: sign-in, the home page and the dashboard (CONTRACT section 8, docs/dashboard.md). */
export function mountOwnerPages(app: Hono, deps: AppDeps): void {
  // Every answer of these routes, redirects included, carries the page headers (no framing, no
  // caching, no Referer: a sign-in link's token is in its URL).
  for (const path of ['/', '/login', '/login/*', '/logout']) {
    app.use(path, async (c, next) => {
      setPageHeaders(c);
      await next();
    });
  }
  mountSignIn(app, deps);
  mountHome(app, deps);
  app.route('/dashboard', dashboardApp(deps));
}
