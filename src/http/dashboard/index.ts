import { Hono } from 'hono';
import type { AppDeps } from '../context.js';
import { mountApps } from './apps.js';
import { mountAssets } from './assets.js';
import type { DashEnv } from './context.js';
import { mountDomains } from './domains.js';
import { mountDownloads } from './downloads.js';
import { dashboardError, requireOwner, requireProject } from './guard.js';
import { setDashboardHeaders } from './headers.js';
import { mountOverview } from './overview.js';
import { mountPage } from './page.js';
import { mountPageDiff } from './page-diff.js';
import { mountPageVersion } from './page-version.js';
import { mountPages } from './pages.js';
import { mountProjects } from './projects.js';
import { mountStats } from './stats.js';
import { mountStatic } from './static.js';

export { projectsPage } from './projects.js';

/**
 * The owner's dashboard under `/dashboard` on the platform origin (docs/dashboard.md); its home,
 * the project list, is `GET /` (owners/home.ts). Every route but the static files needs a
 * signed-in owner; `/p/{id}/...` routes need a project the owner manages; every POST carries the
 * session's CSRF token. Server-rendered, one small script, nothing inline.
 */
export function dashboardApp(deps: AppDeps): Hono<DashEnv> {
  const app = new Hono<DashEnv>();
  app.onError(dashboardError(deps));
  mountStatic(app);
  app.use('*', async (c, next) => {
    setDashboardHeaders(c, deps.core.urls);
    await next();
  });
  app.use('*', requireOwner(deps));
  app.use('/p/:pid', requireProject(deps));
  app.use('/p/:pid/*', requireProject(deps));
  app.get('/', (c) => c.redirect('/', 302));
  mountProjects(app, deps);
  mountOverview(app, deps);
  mountApps(app, deps);
  mountDomains(app, deps);
  mountPages(app, deps);
  mountPage(app, deps);
  mountPageVersion(app, deps);
  mountPageDiff(app, deps);
  mountAssets(app, deps);
  mountDownloads(app, deps);
  mountStats(app, deps);
  app.notFound((c) => c.text('Not found', 404));
  return app;
}
