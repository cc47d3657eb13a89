import * as s from '../schemas/sites.js';
import { READ, defineTool } from './define.js';

export const SITE_STATS = 'site_stats';
export const SITE_CHECK = 'site_check';

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
  defineTool({
    name: SITE_CHECK,
    title: 'Check the whole site',
    description:
      'Checks every page as the site serves it: internal links that lead to a 404 (broken_link), files a page loads that the site does not have ' +
      '(missing_asset) or keeps private (private_asset), pages without a title (missing_title), images without alt (missing_alt), markup a browser ' +
      'repairs (invalid_nesting: unclosed elements, stray end tags, content a table pushes out) and head problems (no doctype, <title> in the body); ' +
      'also whether the home page index.html exists. Each warning names its page, line and how to fix it. Page writes return the same warnings for the page written; ' +
      'call this after building or restructuring a site. Read-only.',
    toolset: 'pages',
    input: s.siteCheckInput,
    output: s.siteCheckOutput,
    annotations: READ,
    rest: { method: 'GET', path: '/papi/project/:project_id/check' },
    handler: ({ core, project }) => core.sites.check(project),
  }),
];
