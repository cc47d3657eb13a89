import type { GeneratedToken, TokenStatus } from '../../core/downloads.js';
import type { AppDeps } from '../context.js';
import type { DashApp, DashContext } from './context.js';
import { intParam, statusPill, strParam, time } from './format.js';
import { csrfForm } from './guard.js';
import { href, html, type Html } from './html.js';
import { csrfField, dashboardPage, projectPath } from './layout.js';
import { callTool } from './tool-call.js';

const PER_PAGE = 50;
const STATUSES: ReadonlyArray<TokenStatus | 'all'> = ['all', 'active', 'expired', 'exhausted', 'revoked'];

const statusOf = (v: unknown): TokenStatus | 'all' => (STATUSES.includes(v as TokenStatus) ? (v as TokenStatus) : 'all');

/** A number field of the form: absent means the tool's default; anything else must be a whole number (the tool says so otherwise). */
function numberField(v: unknown): number | undefined {
  const s = strParam(v, 20);
  if (s === undefined) return undefined;
  return /^\d+$/.test(s) ? Number(s) : Number.NaN;
}

/**
 * Download links: the list with status filters, a form to create one (asset, uses, expiry,
 * visitor, redirect), revoke. Create and revoke run file-downloads_generate_token and
 * file-downloads_revoke_token (tool-call.ts).
 */
async function downloadsPage(c: DashContext, deps: AppDeps, made?: GeneratedToken): Promise<Response> {
  const project = c.get('project');
  const owner = c.get('owner');
  const status = statusOf(c.req.query('status'));
  const offset = intParam(c.req.query('offset'), 0);
  const chosen = strParam(c.req.query('asset'), 2048);
  const [{ downloads, total }, { assets }] = await Promise.all([deps.core.downloads.list(project, { status, limit: PER_PAGE, offset }), deps.core.assets.list(project, 1000, 0)]);
  const base = projectPath(project, '/downloads');
  const filters = html`<ul class="filters" aria-label="Filter by status">${STATUSES.map((s) => html`<li><a href="${href(base, { status: s === 'all' ? undefined : s })}"${s === status ? html` aria-current="page"` : ''}>${s}</a></li>`)}</ul>`;
  const rows = downloads.map(
    (d) => html`<tr><td><code>${d.token_prefix}…</code><br><span class="muted">${d.token_id}</span></td><td><code>${d.asset_url}</code><br><span class="muted">${d.filename}</span></td>
<td>${statusPill(d.status)}</td><td class="num">${d.use_count} / ${d.max_uses === 0 ? '∞' : d.max_uses}</td><td>${time(d.expires_at, 'never')}</td><td>${d.visitor_id ?? html`<span class="muted">anyone</span>`}</td>
<td>${time(d.created_at)}</td><td>${time(d.last_download_at, 'not yet')}</td>
<td><a href="${href(projectPath(project, '/stats'), { token_id: d.token_id })}#attempts">attempts<span class="sr"> of ${d.token_prefix}</span></a>${d.status === 'revoked' ? '' : html`<form method="post" action="${base}/revoke" data-confirm="Revoke this link? The buyer can no longer download with it.">${csrfField(owner)}<input type="hidden" name="token_id" value="${d.token_id}"><button type="submit" class="small danger">Revoke<span class="sr"> link ${d.token_prefix}</span></button></form>`}</td></tr>`,
  );
  const pager = html`<nav class="pager" aria-label="More links">${offset > 0 ? html`<a href="${href(base, { status: status === 'all' ? undefined : status, offset: Math.max(0, offset - PER_PAGE) })}">Previous</a>` : ''}${offset + PER_PAGE < total ? html`<a href="${href(base, { status: status === 'all' ? undefined : status, offset: offset + PER_PAGE })}">Next</a>` : ''}</nav>`;
  const fresh: Html | '' = made
    ? html`<section class="card" aria-labelledby="made"><h2 id="made">New download link</h2><p class="warning">Copy it now: the link is shown only this once (sitepub keeps only its hash).</p>
<code class="secret" id="made-url">${made.download_url}</code><button type="button" class="secondary" data-copy="made-url" hidden>Copy</button>
<p class="muted"><code>${made.asset_url}</code> as “${made.filename}”, ${made.max_uses === 0 ? 'unlimited uses' : `${made.max_uses} ${made.max_uses === 1 ? 'use' : 'uses'}`}, expires ${made.expires_at ? html`${time(made.expires_at)}` : 'never'}${made.visitor_id ? html`, only for visitor <code>${made.visitor_id}</code>` : ''}.</p></section>`
    : '';
  const done = c.req.query('done') === 'revoked' ? 'Link revoked.' : undefined;
  const options = assets.map((a) => html`<option value="${a.path}"${a.path === chosen ? html` selected` : ''}>${a.path}${a.private ? ' (private)' : ''}</option>`);
  return dashboardPage(c, deps.core.urls, {
    title: 'Download links',
    owner,
    project,
    section: 'downloads',
    notice: done,
    body: html`<h1>Download links</h1>${fresh}
<section class="card" aria-labelledby="new-link"><h2 id="new-link">Create a link</h2>
${assets.length === 0 ? html`<p>Upload a file first (<a href="${projectPath(project, '/assets')}">Assets</a>); a private one is only reachable through links.</p>` : html`<form method="post" action="${base}">${csrfField(owner)}
<label for="asset">File</label><select id="asset" name="asset_url" required>${options}</select>
<div class="row"><div><label for="max_uses">Downloads allowed</label><input id="max_uses" name="max_uses" type="number" min="0" max="1000000" value="1" aria-describedby="uses-help"><p id="uses-help" class="muted">0 = unlimited</p></div>
<div><label for="expires">Expires after (hours)</label><input id="expires" name="expires_in_hours" type="number" min="0" max="87600" value="24" aria-describedby="exp-help"><p id="exp-help" class="muted">0 = never</p></div></div>
<label for="filename">Saved as <span class="muted">(optional file name)</span></label><input id="filename" name="filename" type="text" maxlength="255">
<label for="visitor">Only for visitor id <span class="muted">(optional)</span></label><input id="visitor" name="visitor_id" type="text" maxlength="200">
<label for="redirect">When no longer valid, send to <span class="muted">(optional http(s) URL)</span></label><input id="redirect" name="expiration_redirect_url" type="url" maxlength="2048">
<label class="inline"><input type="checkbox" name="require_confirmation" value="on"> Ask for a click first (for links sent by email: mail scanners cannot use them up)</label>
<button type="submit">Create link</button></form>`}</section>
<h2 id="links">Links</h2>${filters}<p class="muted" role="status">${total} ${status === 'all' ? '' : `${status} `}${total === 1 ? 'link' : 'links'}.</p>
${downloads.length ? html`<div class="table-wrap"><table><caption class="sr">Download links, newest first</caption><thead><tr><th scope="col">Link</th><th scope="col">File</th><th scope="col">Status</th><th scope="col" class="num">Uses</th><th scope="col">Expires</th><th scope="col">Visitor</th><th scope="col">Created</th><th scope="col">Last download</th><th scope="col"><span class="sr">Actions</span></th></tr></thead><tbody>${rows}</tbody></table></div>${pager}` : ''}`,
  });
}

export function mountDownloads(app: DashApp, deps: AppDeps): void {
  app.get('/p/:pid/downloads', (c) => downloadsPage(c, deps));

  app.post('/p/:pid/downloads', async (c) => {
    const form = await csrfForm(c);
    const made = await callTool<GeneratedToken>(c, deps, 'file-downloads_generate_token', {
      asset_url: strParam(form.asset_url) ?? '',
      max_uses: numberField(form.max_uses),
      expires_in_hours: numberField(form.expires_in_hours),
      filename: strParam(form.filename),
      visitor_id: strParam(form.visitor_id),
      expiration_redirect_url: strParam(form.expiration_redirect_url),
      require_confirmation: form.require_confirmation === 'on' ? true : undefined,
    });
    return downloadsPage(c, deps, made);
  });

  app.post('/p/:pid/downloads/revoke', async (c) => {
    const form = await csrfForm(c);
    await callTool(c, deps, 'file-downloads_revoke_token', { token_id: strParam(form.token_id) ?? '' });
    return c.redirect(href(projectPath(c.get('project'), '/downloads'), { done: 'revoked' }), 303);
  });
}
