import type { DomainInfo } from '../../core/domains/index.js';
import { DOMAINS_ADD, DOMAINS_REMOVE, DOMAINS_VERIFY } from '../../../tools/domains.js';
import type { AppDeps } from '../context.js';
import type { DashApp, DashContext } from './context.js';
import { statusPill, strParam, time } from './format.js';
import { csrfForm } from './guard.js';
import { href, html, type Html } from './html.js';
import { csrfField, projectPath } from './layout.js';
import { callTool } from './tool-call.js';

/**
 * A project's custom domains on its overview: each with its state and, while pending, the DNS TXT
 * record that proves the owner controls it; add, check and remove run domains_add, domains_verify
 * and domains_remove (tool-call.ts), the same checks and answers an assistant gets.
 */
export function domainsSection(c: DashContext, domains: readonly DomainInfo[]): Html {
  const project = c.get('project');
  const owner = c.get('owner');
  const action = (path: string): string => projectPath(project, path);
  const rows = domains.map(
    (d) => html`<tr><td>${d.status === 'verified' ? html`<a href="${d.url}"><code>${d.domain}</code></a>` : html`<code>${d.domain}</code>`}</td>
<td>${statusPill(d.status)}${d.verified_at ? html` ${time(d.verified_at)}` : ''}</td>
<td>${d.status === 'verified' ? html`<span class="muted">serves this site; point its A/AAAA or CNAME record at this server</span>` : html`TXT <code>${d.txt_name}</code><br>value <code>${d.txt_value}</code>${d.checked_at ? html`<br><span class="muted">last checked ${time(d.checked_at)}</span>` : ''}`}</td>
<td>${d.status === 'verified' ? '' : html`<form method="post" action="${action('/domains/verify')}">${csrfField(owner)}<input type="hidden" name="domain" value="${d.domain}"><button type="submit" class="small">Check DNS<span class="sr"> for ${d.domain}</span></button></form>`}
<form method="post" action="${action('/domains/remove')}" data-confirm="Remove ${d.domain}? The site stops answering there at once.">${csrfField(owner)}<input type="hidden" name="domain" value="${d.domain}"><button type="submit" class="small danger">Remove<span class="sr"> ${d.domain}</span></button></form></td></tr>`,
  );
  return html`<section class="card" aria-labelledby="domains"><h2 id="domains">Custom domains</h2>
${domains.length ? html`<div class="table-wrap"><table><caption class="sr">Custom domains of this site</caption><thead><tr><th scope="col">Domain</th><th scope="col">State</th><th scope="col">DNS</th><th scope="col"><span class="sr">Actions</span></th></tr></thead><tbody>${rows}</tbody></table></div>` : html`<p>The site answers only at its own address. Add a domain you own: sitepub shows a DNS TXT record to create, then checks it.</p>`}
<form method="post" action="${action('/domains')}">${csrfField(owner)}<label for="domain">Add a domain</label>
<input id="domain" name="domain" type="text" required maxlength="253" placeholder="www.example.com" autocomplete="off" spellcheck="false">
<button type="submit">Add domain</button></form></section>`;
}

export function mountDomains(app: DashApp, deps: AppDeps): void {
  const back = (c: DashContext, q: Record<string, string>): Response => c.redirect(`${href(projectPath(c.get('project')), q)}#domains`, 303);
  const run = async <T>(c: DashContext, tool: string): Promise<T> => {
    const form = await csrfForm(c);
    return callTool<T>(c, deps, tool, { domain: strParam(form.domain, 300) ?? '' });
  };
  app.post('/p/:pid/domains', async (c) => back(c, { done: 'domain-added', domain: (await run<DomainInfo>(c, DOMAINS_ADD)).domain }));
  app.post('/p/:pid/domains/verify', async (c) => {
    const r = await run<DomainInfo & { found: boolean }>(c, DOMAINS_VERIFY);
    return back(c, { done: r.status === 'verified' ? 'domain-verified' : 'domain-pending', domain: r.domain });
  });
  app.post('/p/:pid/domains/remove', async (c) => back(c, { done: 'domain-removed', domain: (await run<{ domain: string }>(c, DOMAINS_REMOVE)).domain }));
}

/**
 * The notice after a domain action (the overview shows it), from the redirect's query, said only
 * as the data has it: a crafted link cannot make the page claim a domain is verified.
 */
export function domainNotice(c: DashContext, domains: readonly DomainInfo[]): Html | undefined {
  const done = c.req.query('done');
  const name = c.req.query('domain');
  if (!name || !done?.startsWith('domain-')) return undefined;
  const d = domains.find((x) => x.domain === name);
  if (!d) return done === 'domain-removed' ? html`Removed <code>${name}</code>.` : undefined;
  if (d.status === 'verified') return done === 'domain-added' ? html`<code>${d.domain}</code> is already verified and serves this site.` : html`<code>${d.domain}</code> is verified and serves this site.`;
  if (done === 'domain-added') return html`Added <code>${d.domain}</code>: create the TXT record shown below at your DNS provider, then press Check DNS.`;
  if (done === 'domain-pending') return html`The TXT record for <code>${d.domain}</code> was not found yet. DNS changes can take minutes to an hour; check again later.`;
  return undefined;
}
