import type { Context } from 'hono';
import type { UrlConfig } from '../../core/config.js';
import type { Project } from '../../core/projects.js';
import type { SignedInOwner } from '../owner-auth.js';
import { setDashboardHeaders } from './headers.js';
import { html, type Child, type Html } from './html.js';
import { staticUrl } from './static.js';

/** The sections of a project, in the order of its navigation. */
export type Section = 'overview' | 'pages' | 'assets' | 'downloads' | 'stats';

const SECTIONS: ReadonlyArray<readonly [Section, string, string]> = [
  ['overview', 'Overview', ''],
  ['pages', 'Pages', '/pages'],
  ['assets', 'Assets', '/assets'],
  ['downloads', 'Download links', '/downloads'],
  ['stats', 'Statistics', '/stats'],
];

export const projectPath = (project: Pick<Project, 'id'>, sub = ''): string => `/dashboard/p/${encodeURIComponent(project.id)}${sub}`;

export interface PageOptions {
  title: string;
  owner: SignedInOwner;
  project?: Project | undefined;
  section?: Section | undefined;
  body: Child;
  /** A success message shown at the top (after a redirect). */
  notice?: Child;
  status?: 200 | 400 | 401 | 403 | 404 | 409 | 413 | 415 | 422 | 429 | 500;
}

/** The CSRF field every state-changing form carries. */
export const csrfField = (owner: SignedInOwner): Html => html`<input type="hidden" name="csrf" value="${owner.csrfToken}">`;

/**
 * A dashboard page: landmarks (banner, navigation, main), a skip link, the project's sections with
 * `aria-current`, the stylesheet and the one script as files. Headers: headers.ts.
 */
export function dashboardPage(c: Context, urls: UrlConfig, o: PageOptions): Response {
  setDashboardHeaders(c, urls);
  const nav = o.project
    ? html`<nav class="sections" aria-label="${o.project.name}"><ul>${SECTIONS.map(
        ([id, label, sub]) => html`<li><a href="${projectPath(o.project!, sub)}"${o.section === id ? html` aria-current="page"` : ''}>${label}</a></li>`,
      )}</ul></nav>`
    : '';
  const title = o.project ? `${o.title} · ${o.project.name}` : o.title;
  const notice = o.notice ? html`<p class="notice" role="status">${o.notice}</p>` : '';
  const page = html`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width,initial-scale=1">
<meta name="robots" content="noindex, nofollow"><title>${title} · sitepub</title>
<link rel="stylesheet" href="${staticUrl('dashboard.css')}"><script src="${staticUrl('dashboard.js')}" defer></script></head>
<body><a class="skip" href="#main">Skip to content</a>
<header class="top"><a href="/">sitepub</a><form method="post" action="/logout">${csrfField(o.owner)}<span class="who">${o.owner.email}</span><button type="submit">Sign out</button></form></header>
${nav}<main id="main" tabindex="-1">${notice}${o.body}</main></body></html>`;
  return c.html(page.value, o.status ?? 200);
}
