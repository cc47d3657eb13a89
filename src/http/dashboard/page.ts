import type { AppDeps } from '../context.js';
import type { DashApp } from './context.js';
import { bytes, intParam, strParam, time } from './format.js';
import { csrfForm } from './guard.js';
import { href, html, type Html } from './html.js';
import { csrfField, dashboardPage, projectPath } from './layout.js';
import { callTool } from './tool-call.js';
import { invalid } from '../../core/errors.js';
import type { Project } from '../../core/projects.js';
import type { SignedInOwner } from '../owner-auth.js';
import type { VersionInfo } from '../../core/page-history.js';

/** The path of a page's dashboard view (slugs travel in the query: they contain "/"). */
export const pageHref = (project: Project, sub: '' | '/version' | '/diff' | '/render', query: Record<string, string | number>): string => href(projectPath(project, `/page${sub}`), query);

/** The one-click rollback: a form with the CSRF token, making a new version as pages_rollback does. */
export function rollbackForm(project: Project, owner: SignedInOwner, slug: string, version: number): Html {
  return html`<form method="post" action="${projectPath(project, '/page/rollback')}">${csrfField(owner)}<input type="hidden" name="slug" value="${slug}"><input type="hidden" name="version" value="${version}"><button type="submit" class="small secondary">Roll back to v${version}</button></form>`;
}

/** Who made each version, in words. */
const MADE_BY: Record<VersionInfo['created_by'], string> = { create: 'created', update: 'replaced (update)', patch: 'edited (patch)', rollback: 'rollback' };

/** Choose two versions to compare (a GET form: works without script). */
export function compareForm(project: Project, slug: string, versions: readonly VersionInfo[], from: number, to: number): Html {
  const options = (selected: number): Html[] => versions.map((v) => html`<option value="${v.version}"${v.version === selected ? html` selected` : ''}>v${v.version} · ${v.created_at.slice(0, 16).replace('T', ' ')}</option>`);
  return html`<form method="get" action="${projectPath(project, '/page/diff')}" class="row"><input type="hidden" name="slug" value="${slug}">
<div><label for="from">Compare version</label><select id="from" name="from">${options(from)}</select></div>
<div><label for="to">with version</label><select id="to" name="to">${options(to)}</select></div>
<div><button type="submit" class="secondary">Show changes</button></div></form>`;
}

/**
 * `GET /dashboard/p/{id}/page?slug=`: the live page in a sandboxed frame (the site's own origin,
 * and no allow-same-origin: its script runs in an opaque origin, never the platform's), and its
 * history: who made each version, patch summary, size, time; view, compare, roll back.
 */
export function mountPage(app: DashApp, deps: AppDeps): void {
  app.get('/p/:pid/page', async (c) => {
    const project = c.get('project');
    const owner = c.get('owner');
    const slug = c.req.query('slug') ?? '';
    const [page, history] = await Promise.all([deps.core.pages.get(project, slug, true), deps.core.pages.versions(project, slug)]);
    const title = typeof page.meta.title === 'string' ? page.meta.title : page.slug;
    const current = history.current_version;
    const rows = history.versions.map(
      (v) => html`<tr><th scope="row"><a href="${pageHref(project, '/version', { slug: page.slug, v: v.version })}">v${v.version}</a>${v.version === current ? html` <span class="status status-active">live</span>` : ''}</th>
<td>${MADE_BY[v.created_by]}</td><td>${v.patch_summary ?? html`<span class="muted">—</span>`}</td><td class="num">${bytes(v.size_bytes)}</td><td>${time(v.created_at)}</td><td><code>${v.hash}</code></td>
<td>${v.version > 1 ? html`<a href="${pageHref(project, '/diff', { slug: page.slug, from: v.version - 1, to: v.version })}">changes<span class="sr"> in v${v.version}</span></a>` : ''}</td>
<td>${v.version === current ? '' : rollbackForm(project, owner, page.slug, v.version)}</td></tr>`,
    );
    const done = c.req.query('done') === 'rollback' ? `Rolled back: version ${intParam(c.req.query('to'), 0)} is live again, as the new version ${intParam(c.req.query('new'), 0)}.` : undefined;
    return dashboardPage(c, deps.core.urls, {
      title,
      owner,
      project,
      section: 'pages',
      notice: done,
      body: html`<p><a href="${projectPath(project, '/pages')}">← Pages</a></p><h1>${title}</h1>
<dl class="facts"><dt>Path</dt><dd><code>${page.slug}</code></dd><dt>Live at</dt><dd><a href="${page.url}">${page.url}</a></dd>
<dt>Version</dt><dd>v${current} <code>${page.version_hash ?? ''}</code>, ${time(page.updated_at)}</dd></dl>
<h2 id="preview">Live preview</h2>
<iframe class="preview" src="${page.url}" sandbox="allow-scripts" referrerpolicy="no-referrer" loading="lazy" title="Live preview of ${page.slug}"></iframe>
<h2 id="history">History</h2>
${history.versions.length > 1 ? compareForm(project, page.slug, history.versions, Math.max(1, current - 1), current) : ''}
<div class="table-wrap"><table><caption class="sr">Versions of ${page.slug}, newest first</caption><thead><tr><th scope="col">Version</th><th scope="col">Made by</th><th scope="col">Summary</th><th scope="col" class="num">Size</th><th scope="col">Time</th><th scope="col">Hash</th><th scope="col">Diff</th><th scope="col"><span class="sr">Roll back</span></th></tr></thead><tbody>${rows}</tbody></table></div>`,
    });
  });

  // One click, one new version: exactly pages_rollback (tools/pages.ts), so the history says "rollback".
  app.post('/p/:pid/page/rollback', async (c) => {
    const form = await csrfForm(c);
    const slug = strParam(form.slug);
    const version = intParam(form.version, 0, 1);
    if (!slug || !version) throw invalid('Choose a page and a version to roll back to.');
    const r = await callTool<{ slug: string; rolled_back_to: number; new_version: number }>(c, deps, 'pages_rollback', { slug, target_version: version });
    return c.redirect(pageHref(c.get('project'), '', { slug: r.slug, done: 'rollback', to: r.rolled_back_to, new: r.new_version }), 303);
  });
}
