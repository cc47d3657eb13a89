import type { IssuedToken } from '../../core/projects.js';
import type { AppDeps } from '../context.js';
import type { DashApp, DashContext } from './context.js';
import { bytes, statusPill, strParam, time } from './format.js';
import { csrfForm } from './guard.js';
import { html, type Child } from './html.js';
import { csrfField, dashboardPage, projectPath } from './layout.js';
import { notFound } from '../../core/errors.js';
import { connectedAppsSection } from './apps.js';
import { domainNotice, domainsSection } from './domains.js';
import type { SiteStats } from '../../core/analytics/index.js';
import { viewsChart } from './chart.js';

/** Page views of the last 30 days (src/core/analytics): the chart, then the same numbers as tables. */
function pageViewsSection(v: SiteStats): Child {
  const rows = (items: ReadonlyArray<{ name: string; views: number }>, caption: string, head: string): Child =>
    items.length
      ? html`<div class="table-wrap"><table><caption>${caption}</caption><thead><tr><th scope="col">${head}</th><th scope="col">Views</th></tr></thead><tbody>${items.map((i) => html`<tr><td><code>${i.name}</code></td><td>${i.views}</td></tr>`)}</tbody></table></div>`
      : '';
  const days = v.daily.filter((d) => d.views > 0).reverse();
  return html`<section class="card" aria-labelledby="views"><h2 id="views">Page views</h2>
<p class="muted">${v.total_views} in the last ${v.days} days. Counted without cookies; nothing about visitors is stored.</p>
${viewsChart(v.daily, 'Page views per day')}
${rows(days.map((d) => ({ name: d.date, views: d.views })), 'Page views per day (days with views)', 'Day')}
${rows(v.pages.slice(0, 10).map((p) => ({ name: p.path, views: p.views })), 'Most viewed pages', 'Page')}
${rows(v.referrers.slice(0, 10).map((r) => ({ name: r.host, views: r.views })), 'Visitors came from', 'Site')}</section>`;
}

/**
 * A project's overview: its site URL and status, storage, its custom domains (domains.ts), the API
 * tokens of the project (create, shown once; revoke) and the connected apps (OAuth grants; apps.ts).
 */
async function overviewPage(c: DashContext, deps: AppDeps, extra: { newToken?: IssuedToken; notice?: Child } = {}): Promise<Response> {
  const { core } = deps;
  const project = c.get('project');
  const owner = c.get('owner');
  const [status, usage, tokens, views, { domains }] = await Promise.all([core.status(project), core.assets.quota.usage(project.id), core.projects.listTokens(project.id), core.analytics.stats(project, 30), core.domains.list(project)]);
  const base = projectPath(project);
  const fresh = extra.newToken
    ? html`<section class="card" aria-labelledby="new-token"><h2 id="new-token">New API token</h2>
<p class="warning">Copy it now: it is shown only this once (sitepub keeps only its hash).</p>
<code class="secret" id="new-token-value">${extra.newToken.token}</code><button type="button" class="secondary" data-copy="new-token-value" hidden>Copy</button>
<p class="muted">Send it as <code>Authorization: Bearer TOKEN</code> to <code>${core.urls.publicUrl}/mcp</code> or the REST API.</p></section>`
    : '';
  const tokenRows = tokens.map(
    (t) => html`<tr><td><code>${t.token_prefix}…</code></td><td>${t.scope}</td><td>${time(t.created_at)}</td>
<td>${t.revoked_at ? html`${statusPill('revoked')} ${time(t.revoked_at)}` : statusPill('active')}</td>
<td>${t.revoked_at ? '' : html`<form method="post" action="${base}/tokens/revoke" data-confirm="Revoke this token? Assistants using it lose access at once.">${csrfField(owner)}<input type="hidden" name="token_id" value="${t.token_id}"><button type="submit" class="small danger">Revoke<span class="sr"> token ${t.token_prefix}</span></button></form>`}</td></tr>`,
  );
  return dashboardPage(c, core.urls, {
    title: 'Overview',
    owner,
    project,
    section: 'overview',
    notice:
      extra.notice ??
      domainNotice(c, domains) ??
      (c.req.query('created') === '1' ? 'Project created.' : c.req.query('done') === 'revoked' ? 'Token revoked.' : c.req.query('done') === 'app-revoked' ? 'App disconnected.' : undefined),
    body: html`<h1>${project.name}</h1>${fresh}
<section class="card" aria-labelledby="site"><h2 id="site">Site</h2><dl class="facts">
<dt>Address</dt><dd><a href="${status.url}/">${status.url}/</a></dd>
<dt>Status</dt><dd>${statusPill(status.status)} ${status.status === 'empty' ? 'no page yet' : status.status === 'no_home_page' ? 'no home page (index.html): the address answers 404' : 'live'}</dd>
<dt>Pages</dt><dd><a href="${base}/pages">${status.pages_count}</a></dd>
<dt>Assets</dt><dd><a href="${base}/assets">${status.assets_count}</a></dd>
<dt>Storage</dt><dd>${bytes(usage.used)} of ${usage.quota === 0 ? 'unlimited' : bytes(usage.quota)}</dd>
<dt>Project id</dt><dd><code>${project.id}</code></dd><dt>Created</dt><dd>${time(project.created_at)}</dd></dl></section>
${domainsSection(c, domains)}
${pageViewsSection(views)}
<section class="card" aria-labelledby="tokens"><h2 id="tokens">API tokens</h2>
${tokens.length ? html`<div class="table-wrap"><table><caption class="sr">API tokens of this project</caption><thead><tr><th scope="col">Token</th><th scope="col">Scope</th><th scope="col">Created</th><th scope="col">Status</th><th scope="col"><span class="sr">Actions</span></th></tr></thead><tbody>${tokenRows}</tbody></table></div>` : html`<p>No API token for this project.</p>`}
<form method="post" action="${base}/tokens">${csrfField(owner)}<label for="scope">Scope of a new token</label>
<select id="scope" name="scope"><option value="write">write: read and change the site</option><option value="read">read: look only</option></select>
<button type="submit">Create token</button></form></section>
${await connectedAppsSection(c, deps)}`,
  });
}

export function mountOverview(app: DashApp, deps: AppDeps): void {
  app.get('/p/:pid', (c) => overviewPage(c, deps));

  // As `sitepub token create --project` makes it, labelled as made here.
  app.post('/p/:pid/tokens', async (c) => {
    const form = await csrfForm(c);
    const scope = strParam(form.scope) === 'read' ? 'read' : 'write';
    const newToken = await deps.core.projects.issueToken({ projectId: c.get('project').id, scope, label: 'dashboard' });
    return overviewPage(c, deps, { newToken });
  });

  app.post('/p/:pid/tokens/revoke', async (c) => {
    const form = await csrfForm(c);
    const id = strParam(form.token_id);
    // Only a token of this project: the id alone could name another project's token.
    const mine = (await deps.core.projects.listTokens(c.get('project').id)).some((t) => t.token_id === id);
    if (!id || !mine) throw notFound('API token');
    await deps.core.projects.revokeToken(id);
    return c.redirect(`${projectPath(c.get('project'))}?done=revoked`, 303);
  });
}
