import { searchPages } from '../../core/page-search-report.js';
import type { AppDeps } from '../context.js';
import type { DashApp } from './context.js';
import { bytes, intParam, strParam, time } from './format.js';
import { href, html } from './html.js';
import { dashboardPage, projectPath } from './layout.js';

const PER_PAGE = 50;

/** `GET /dashboard/p/{id}/pages?q=&offset=`: the pages of a project, searchable by path and title. */
export function mountPages(app: DashApp, deps: AppDeps): void {
  app.get('/p/:pid/pages', async (c) => {
    const project = c.get('project');
    const q = strParam(c.req.query('q'), 200);
    const offset = intParam(c.req.query('offset'), 0);
    const { pages, total } = await searchPages(deps.core.db.kysely, deps.core.urls, project, { q, limit: PER_PAGE, offset });
    const base = projectPath(project, '/pages');
    const rows = pages.map(
      (p) => html`<tr><td><a href="${href(projectPath(project, '/page'), { slug: p.slug })}">${p.title ?? p.slug}</a></td><td><code>${p.slug}</code></td>
<td class="num">${p.version}</td><td class="num">${bytes(p.size_bytes)}</td><td>${time(p.updated_at)}</td><td><a href="${p.url}">live<span class="sr"> ${p.slug}</span></a></td></tr>`,
    );
    const pager = html`<nav class="pager" aria-label="More pages">${offset > 0 ? html`<a href="${href(base, { q, offset: Math.max(0, offset - PER_PAGE) })}">Previous</a>` : ''}${offset + PER_PAGE < total ? html`<a href="${href(base, { q, offset: offset + PER_PAGE })}">Next</a>` : ''}</nav>`;
    return dashboardPage(c, deps.core.urls, {
      title: 'Pages',
      owner: c.get('owner'),
      project,
      section: 'pages',
      body: html`<h1>Pages</h1>
<form method="get" action="${base}" role="search"><label for="q">Search by path or title</label><input id="q" name="q" type="search" value="${q ?? ''}" maxlength="200"><button type="submit" class="secondary">Search</button></form>
<p class="muted" role="status">${total} ${total === 1 ? 'page' : 'pages'}${q ? html` matching “${q}”` : ''}${total > PER_PAGE ? html`, ${offset + 1}–${Math.min(offset + PER_PAGE, total)} shown` : ''}.</p>
${pages.length ? html`<div class="table-wrap"><table><caption class="sr">Pages</caption><thead><tr><th scope="col">Title</th><th scope="col">Path</th><th scope="col" class="num">Version</th><th scope="col" class="num">Size</th><th scope="col">Updated</th><th scope="col">Site</th></tr></thead><tbody>${rows}</tbody></table></div>${pager}` : ''}`,
    });
  });
}
