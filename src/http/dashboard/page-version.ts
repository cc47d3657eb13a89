import { notFound } from '../../core/errors.js';
import type { AppDeps } from '../context.js';
import { escapeHtml } from '../respond.js';
import type { DashApp } from './context.js';
import { bytes, intParam, time } from './format.js';
import { setUserContentHeaders, siteSources } from './headers.js';
import { html } from './html.js';
import { dashboardPage } from './layout.js';
import { pageHref, rollbackForm } from './page.js';

/**
 * A `<base>` pointing at the page's live URL, so an old version's relative images and styles load
 * from the site. Put after `<head>` (or the doctype); only the preview sees it, never the site.
 */
export function withBase(content: string, baseUrl: string): string {
  const tag = `<base href="${escapeHtml(baseUrl)}">`;
  const head = /<head(?:\s[^>]*)?>/i.exec(content);
  if (head) return content.slice(0, head.index + head[0].length) + tag + content.slice(head.index + head[0].length);
  const doctype = /^\s*<!doctype[^>]*>/i.exec(content);
  if (doctype) return doctype[0] + tag + content.slice(doctype[0].length);
  return tag + content;
}

/**
 * Any version of a page: its metadata, a rendered preview and its source.
 * `GET /dashboard/p/{id}/page/version?slug=&v=` is the view; `.../page/render?slug=&v=` is the
 * version's HTML for the preview frame. User HTML on the platform origin is served only with a
 * CSP `sandbox` (no allow-scripts, no allow-same-origin) and shown in an `<iframe sandbox="">`:
 * two locks, each enough alone, so no script of it runs and it never has the platform's origin.
 */
export function mountPageVersion(app: DashApp, deps: AppDeps): void {
  app.get('/p/:pid/page/version', async (c) => {
    const project = c.get('project');
    const slug = c.req.query('slug') ?? '';
    const v = intParam(c.req.query('v'), 0, 1);
    const history = await deps.core.pages.versions(project, slug);
    const info = history.versions.find((x) => x.version === v);
    if (!info) throw notFound(`Version ${v} of page "${history.slug}"`);
    const content = await deps.core.pages.versionContent(project, history.slug, v);
    const live = v === history.current_version;
    return dashboardPage(c, deps.core.urls, {
      title: `${history.slug} v${v}`,
      owner: c.get('owner'),
      project,
      section: 'pages',
      body: html`<p><a href="${pageHref(project, '', { slug: history.slug })}">← ${history.slug}</a></p><h1>${history.slug}, version ${v}${live ? ' (live)' : ''}</h1>
<dl class="facts"><dt>Made by</dt><dd>${info.created_by}${info.patch_summary ? html`: ${info.patch_summary}` : ''}</dd><dt>Size</dt><dd>${bytes(info.size_bytes)}</dd><dt>Time</dt><dd>${time(info.created_at)}</dd><dt>Hash</dt><dd><code>${info.hash}</code></dd></dl>
<p>${v > 1 ? html`<a href="${pageHref(project, '/diff', { slug: history.slug, from: v - 1, to: v })}">Changes from v${v - 1}</a> · ` : ''}${live ? '' : html`<a href="${pageHref(project, '/diff', { slug: history.slug, from: v, to: history.current_version })}">Compare with the live v${history.current_version}</a>`}</p>
${live ? '' : rollbackForm(project, c.get('owner'), history.slug, v)}
<h2>Preview</h2><iframe class="preview" src="${pageHref(project, '/render', { slug: history.slug, v })}" sandbox="" referrerpolicy="no-referrer" loading="lazy" title="Preview of ${history.slug} version ${v} (scripts off)"></iframe>
<p class="muted">Scripts do not run in this preview; images and styles come from the live site.</p>
<h2>Source</h2><pre class="source" tabindex="0" aria-label="HTML source of version ${v}"><code>${content}</code></pre>`,
    });
  });

  app.get('/p/:pid/page/render', async (c) => {
    const project = c.get('project');
    const v = intParam(c.req.query('v'), 0, 1);
    const page = await deps.core.pages.get(project, c.req.query('slug') ?? '');
    const content = await deps.core.pages.versionContent(project, page.slug, v);
    setUserContentHeaders(c, { framable: true, resources: siteSources(deps.core.urls) });
    return c.body(withBase(content, page.url), 200, { 'Content-Type': 'text/html; charset=utf-8' });
  });
}
