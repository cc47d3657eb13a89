import type { Context } from 'hono';
import type { AppDeps } from '../context.js';
import type { SignedInOwner } from '../owner-auth.js';
import type { DashApp } from './context.js';
import { statusPill, strParam } from './format.js';
import { csrfForm } from './guard.js';
import { html } from './html.js';
import { csrfField, dashboardPage, projectPath } from './layout.js';
import { callAccount } from './tool-call.js';

/**
 * The signed-in home (`GET /`, CONTRACT section 8): the owner's projects with their site and
 * status, the MCP URL to paste into an assistant, and a form to create a project.
 */
export async function projectsPage(c: Context, deps: AppDeps, owner: SignedInOwner): Promise<Response> {
  const { core } = deps;
  const projects = await core.owners.projectsOf(owner.ownerId);
  const statuses = await Promise.all(projects.map((p) => core.status(p)));
  const list = projects.length
    ? html`<ul class="cards">${statuses.map(
        (s, i) => html`<li><h3><a href="${projectPath(projects[i]!)}">${s.name}</a></h3>
<p>${statusPill(s.status)} <span class="muted">${s.pages_count} pages, ${s.assets_count} assets</span></p>
<p><a href="${s.url}/">${s.url}/</a></p><p class="muted"><code>${s.project_id}</code></p></li>`,
      )}</ul>`
    : html`<p>No project yet: create one below, ask your assistant to, or run <code>sitepub project create --name NAME</code>.</p>`;
  const mcp = `${core.urls.publicUrl}/mcp`;
  return dashboardPage(c, core.urls, {
    title: 'Projects',
    owner,
    notice: c.req.query('created') === '1' ? 'Project created.' : undefined,
    body: html`<h1>Projects</h1>${list}
<section class="card" aria-labelledby="connect"><h2 id="connect">Connect an assistant</h2>
<p>Paste this URL as a connector (ChatGPT, claude.ai, Le Chat) or MCP server (Claude Code, Cursor, VS Code): <code>${mcp}</code>. Assistants that support OAuth send you here to sign in and choose a project.</p></section>
<section class="card" aria-labelledby="new-project"><h2 id="new-project">New project</h2>
<form method="post" action="/dashboard/projects">${csrfField(owner)}
<div class="row"><div><label for="name">Name</label><input id="name" name="name" type="text" required maxlength="200"></div>
<div><label for="subdomain">Subdomain <span class="muted">(optional)</span></label><input id="subdomain" name="subdomain" type="text" maxlength="63" pattern="[a-z0-9-]+" aria-describedby="subdomain-help"></div></div>
<p id="subdomain-help" class="muted">The site lives at <code>SUBDOMAIN.${core.urls.siteDomain}</code>; by default the subdomain comes from the name.</p>
<button type="submit">Create project</button></form></section>`,
  });
}

export function mountProjects(app: DashApp, deps: AppDeps): void {
  // Created as `POST /papi/projects` creates it (tools/account.ts).
  app.post('/projects', async (c) => {
    const form = await csrfForm(c);
    const made = await callAccount<{ project_id: string }>(deps, 'projects_create', { name: strParam(form.name) ?? '', subdomain: strParam(form.subdomain) });
    return c.redirect(`${projectPath({ id: made.project_id })}?created=1`, 303);
  });
}
