import { notFound } from '../../core/errors.js';
import type { AppDeps } from '../context.js';
import type { DashApp, DashContext } from './context.js';
import { strParam, time } from './format.js';
import { csrfForm } from './guard.js';
import { html, type Html } from './html.js';
import { csrfField, projectPath } from './layout.js';

/**
 * Connected apps of a project: the OAuth grants an owner gave assistants (ChatGPT, claude.ai, ...)
 * on the consent page, from the authorization server (core.oauth): client, scopes, since when,
 * last use; revoking one ends all its tokens at once.
 */
export async function connectedAppsSection(c: DashContext, deps: AppDeps): Promise<Html> {
  const project = c.get('project');
  const owner = c.get('owner');
  const grants = await deps.core.oauth.grantsOf(project.id);
  const rows = grants.map(
    (g) => html`<tr><td>${g.client_name ?? html`<span class="muted">unnamed client</span>`}<br><code>${g.client_id}</code></td><td>${g.scope.split(' ').map((s) => html`<code>${s}</code> `)}</td><td>${time(g.created_at)}</td><td>${time(g.last_used_at)}</td>
<td><form method="post" action="${projectPath(project, '/apps/revoke')}" data-confirm="Disconnect this app? It loses access at once and must be authorized again.">${csrfField(owner)}<input type="hidden" name="grant_id" value="${g.grant_id}"><button type="submit" class="small danger">Disconnect<span class="sr"> ${g.client_name ?? g.client_id}</span></button></form></td></tr>`,
  );
  return html`<section class="card" aria-labelledby="apps"><h2 id="apps">Connected apps</h2>
${grants.length ? html`<div class="table-wrap"><table><caption class="sr">Apps with access to this project</caption><thead><tr><th scope="col">App</th><th scope="col">Scopes</th><th scope="col">Connected</th><th scope="col">Last used</th><th scope="col"><span class="sr">Actions</span></th></tr></thead><tbody>${rows}</tbody></table></div>` : html`<p>No app is connected. An assistant that connects with OAuth (paste <code>${deps.core.urls.publicUrl}/mcp</code>) asks you here to allow it, and shows up in this list.</p>`}</section>`;
}

export function mountApps(app: DashApp, deps: AppDeps): void {
  app.post('/p/:pid/apps/revoke', async (c) => {
    const form = await csrfForm(c);
    const id = strParam(form.grant_id);
    // Only a grant of this project: the id alone could name another project's.
    const mine = (await deps.core.oauth.grantsOf(c.get('project').id)).some((g) => g.grant_id === id);
    if (!id || !mine) throw notFound('Connected app');
    await deps.core.oauth.revokeGrant(id);
    return c.redirect(`${projectPath(c.get('project'))}?done=app-revoked`, 303);
  });
}
