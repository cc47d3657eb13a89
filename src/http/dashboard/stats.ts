import { listAttempts, NON_REFUSALS, REFUSED } from '../../core/download-attempts.js';
import type { AppDeps } from '../context.js';
import { dailyChart } from './chart.js';
import type { DashApp } from './context.js';
import { intParam, strParam, time } from './format.js';
import { href, html } from './html.js';
import { dashboardPage, projectPath } from './layout.js';

const PERIODS = [7, 30, 90] as const;
const PER_PAGE = 50;
/** The outcomes a seller filters by; the list shows any outcome recorded. */
const OUTCOMES: ReadonlyArray<readonly [string, string]> = [
  ['', 'all'],
  [REFUSED, 'refusals only'],
  ['ok', 'ok (downloaded)'],
  ['TOKEN_EXPIRED', 'expired'],
  ['TOKEN_EXHAUSTED', 'used up'],
  ['TOKEN_REVOKED', 'revoked'],
  ['TOKEN_WRONG_VISITOR', 'wrong visitor'],
  ['NOT_FOUND', 'file missing'],
  ['range', 'range (resumed)'],
  ['head', 'head'],
  ['preview', 'preview (link unfurl)'],
];

const outcomePill = (o: string) => html`<span class="status ${o === 'ok' || o === 'range' ? 'status-active' : NON_REFUSALS.includes(o) ? 'status-expired' : 'status-revoked'}">${o}</span>`;

/**
 * `GET /dashboard/p/{id}/stats?days=7|30|90`: downloads per day (an SVG chart and the same numbers
 * in a table), the links' states, the top files, and the recent attempts including refusals
 * (outcome, time, address cut to its network, user agent), filterable, so a seller sees a
 * buyer's failed tries.
 */
export function mountStats(app: DashApp, deps: AppDeps): void {
  app.get('/p/:pid/stats', async (c) => {
    const project = c.get('project');
    const asked = intParam(c.req.query('days'), 30);
    const days = (PERIODS as readonly number[]).includes(asked) ? asked : 30;
    const outcome = strParam(c.req.query('outcome'), 100);
    const tokenId = strParam(c.req.query('token_id'), 100);
    const visitorId = strParam(c.req.query('visitor_id'), 200);
    const offset = intParam(c.req.query('offset'), 0);
    const stats = await deps.core.downloads.stats(project, days);
    const { attempts, total } = await listAttempts(deps.core.db.kysely, project.id, { outcome, token_id: tokenId, visitor_id: visitorId, since: stats.since, limit: PER_PAGE, offset });
    const base = projectPath(project, '/stats');
    const keep = { days: days === 30 ? undefined : days, outcome, token_id: tokenId, visitor_id: visitorId };
    const periods = html`<ul class="filters" aria-label="Period">${PERIODS.map((d) => html`<li><a href="${href(base, { ...keep, days: d === 30 ? undefined : d })}"${d === days ? html` aria-current="page"` : ''}>${d} days</a></li>`)}</ul>`;
    const dailyRows = stats.daily.map((d) => html`<tr><th scope="row">${d.date}</th><td class="num">${d.downloads}</td></tr>`);
    const topRows = stats.top_files.map((f) => html`<tr><td><code>${f.asset_url}</code></td><td class="num">${f.downloads}</td></tr>`);
    const attemptRows = attempts.map(
      (a) => html`<tr><td>${time(a.at)}</td><td>${outcomePill(a.outcome)}</td><td>${a.asset_url ? html`<code>${a.asset_url}</code>` : html`<span class="muted">unknown link</span>`}</td>
<td>${a.token_id ? html`<a href="${href(base, { ...keep, token_id: a.token_id, offset: undefined })}"><code>${a.token_id}</code></a>` : ''}</td><td>${a.ip ?? ''}</td><td>${a.visitor_id ?? ''}</td><td class="muted">${a.user_agent ?? ''}</td></tr>`,
    );
    const pager = html`<nav class="pager" aria-label="More attempts">${offset > 0 ? html`<a href="${href(base, { ...keep, offset: Math.max(0, offset - PER_PAGE) })}#attempts">Newer</a>` : ''}${offset + PER_PAGE < total ? html`<a href="${href(base, { ...keep, offset: offset + PER_PAGE })}#attempts">Older</a>` : ''}</nav>`;
    return dashboardPage(c, deps.core.urls, {
      title: 'Statistics',
      owner: c.get('owner'),
      project,
      section: 'stats',
      body: html`<h1>Download statistics</h1>${periods}
<dl class="facts"><dt>Downloads</dt><dd id="total-downloads">${stats.total_downloads}</dd><dt>Links made</dt><dd>${stats.total_tokens}: ${stats.active_tokens} active, ${stats.expired_tokens} expired, ${stats.exhausted_tokens} used up, ${stats.revoked_tokens} revoked</dd><dt>Since</dt><dd>${time(stats.since)}</dd></dl>
<h2 id="per-day">Downloads per day</h2>${dailyChart(stats.daily, `Downloads per day over ${days} days`)}
<details${days === 7 ? html` open` : ''}><summary>The numbers, day by day</summary><div class="table-wrap"><table id="daily"><caption class="sr">Downloads per day</caption><thead><tr><th scope="col">Day (UTC)</th><th scope="col" class="num">Downloads</th></tr></thead><tbody>${dailyRows}</tbody></table></div></details>
<h2 id="top">Top files</h2>${topRows.length ? html`<div class="table-wrap"><table id="top-files"><caption class="sr">Most downloaded files</caption><thead><tr><th scope="col">File</th><th scope="col" class="num">Downloads</th></tr></thead><tbody>${topRows}</tbody></table></div>` : html`<p>No download in this period.</p>`}
<h2 id="attempts">Recent attempts</h2>
<form method="get" action="${base}#attempts" class="row">${days === 30 ? '' : html`<input type="hidden" name="days" value="${days}">`}
<div><label for="outcome">Outcome</label><select id="outcome" name="outcome">${OUTCOMES.map(([v, l]) => html`<option value="${v}"${v === (outcome ?? '') ? html` selected` : ''}>${l}</option>`)}</select></div>
<div><label for="token_id">Link id</label><input id="token_id" name="token_id" type="text" value="${tokenId ?? ''}" maxlength="100"></div>
<div><label for="visitor_id">Visitor id</label><input id="visitor_id" name="visitor_id" type="text" value="${visitorId ?? ''}" maxlength="200"></div>
<div><button type="submit" class="secondary">Filter</button></div></form>
<p class="muted" role="status">${total} ${total === 1 ? 'attempt' : 'attempts'}. Addresses are shown by network (/24 for IPv4, /48 for IPv6).</p>
${attempts.length ? html`<div class="table-wrap"><table id="attempt-list"><caption class="sr">Attempts on download links, newest first</caption><thead><tr><th scope="col">Time</th><th scope="col">Outcome</th><th scope="col">File</th><th scope="col">Link id</th><th scope="col">Address</th><th scope="col">Visitor</th><th scope="col">User agent</th></tr></thead><tbody>${attemptRows}</tbody></table></div>${pager}` : ''}`,
    });
  });
}
