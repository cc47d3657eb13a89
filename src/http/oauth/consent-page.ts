import type { Context } from 'hono';
import type { AuthorizationRequest } from '../../core/oauth/authorization.js';
import { OAUTH_PATHS } from '../../core/oauth/endpoints.js';
import { redirectTarget } from '../../core/oauth/redirect-uris.js';
import { describeScope } from '../../core/oauth/scopes.js';
import type { Project } from '../../core/projects.js';
import type { SignedInOwner } from '../owner-auth.js';
import { hidden, page } from '../owners/layout.js';
import { escapeHtml } from '../respond.js';

/** Who the app is, as far as sitepub can tell: a metadata document is at its URL; a registered name is only what the app said. */
function identity(req: AuthorizationRequest): string {
  const { client } = req;
  const name = client.name ? `<strong>${escapeHtml(client.name)}</strong>` : '<strong>An unnamed app</strong>';
  if (client.kind === 'cimd') {
    return `${name} <span class="muted">(identified by its metadata at <code>${escapeHtml(client.id)}</code>)</span>`;
  }
  return `${name} <span class="muted">(the name the app registered itself with; sitepub cannot verify it)</span>`;
}

/**
 * The consent page: names the app, where the browser goes afterwards and what the app may do;
 * the owner picks the one project the grant covers and allows or denies. The form carries the
 * authorization request back (it is checked again on POST) and the session's CSRF token.
 */
export function consentPage(c: Context, req: AuthorizationRequest, owner: SignedInOwner, projects: readonly Project[]): Response {
  const carried = Object.entries(req.params)
    .map(([k, v]) => hidden(k, v!))
    .join('');
  const abilities = describeScope(req.scope)
    .map((s) => `<li>${escapeHtml(s)}</li>`)
    .join('');
  const target = `<p>After you choose, your browser returns to <code>${escapeHtml(redirectTarget(req.redirectUri))}</code>.</p>`;
  const chooser = projects.length
    ? `<label for="project_id">Project</label><select id="project_id" name="project_id">${projects
        .map((p) => `<option value="${escapeHtml(p.id)}">${escapeHtml(p.name)} (${escapeHtml(p.domain)})</option>`)
        .join('')}</select>
<button type="submit" name="decision" value="approve">Allow</button><button type="submit" class="secondary" name="decision" value="deny">Deny</button>`
    : `<p class="error">There is no project to connect yet. Create one first (<code>sitepub project create --name NAME</code>).</p>
<button type="submit" class="secondary" name="decision" value="deny">Deny</button>`;
  return page(
    c,
    'Connect an app',
    `<h1>Connect an app to sitepub?</h1>
<p>${identity(req)} asks for access to one of your projects. It will be able to:</p>
<ul>${abilities}</ul>
${target}
<form method="post" action="${OAUTH_PATHS.authorize}">${hidden('csrf', owner.csrfToken)}${carried}
${chooser}
</form>
<p class="muted">Signed in as ${escapeHtml(owner.email)}. The app gets this one project only, until you disconnect it.</p>`,
  );
}
