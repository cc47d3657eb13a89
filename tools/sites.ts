import * as s from '../schemas/sites.js';
import { READ, defineTool } from './define.js';

export const SITE_STATS = 'site_stats';

/** What the published site does for its visitors (src/core/sites, src/core/analytics). */
export const siteTools = [
  defineTool({
    name: SITE_STATS,
    title: 'Site statistics',
    description:
      'Page views of the published site over the last `days` days (default 30, today included): per day, the most viewed pages, and the sites ' +
      'visitors came from (referring host names). Counted on the server without cookies and without storing anything about visitors ' +
      '(no IP address, no user agent), so no consent banner is needed for them. Views of the last few seconds may be missing on other servers. Read-only.',
    toolset: 'pages',
    input: s.siteStatsInput,
    output: s.siteStatsOutput,
    annotations: READ,
    rest: { method: 'GET', path: '/papi/project/:project_id/stats' },
    handler: ({ core, project }, a) => core.analytics.stats(project, a.days ?? 30),
  }),
];
