import type { Hono } from 'hono';
import type { AppDeps } from '../context.js';
import { signedInOwner } from '../owner-auth.js';
import { escapeHtml } from '../respond.js';
import { hidden, page } from './layout.js';
import { loginForm } from './sign-in.js';

/**
 * `GET /` on the platform origin: the signed-in owner's home (projects, their sites and the
 * MCP URL to paste into an assistant), or the sign-in page. The dashboard grows from here.
 */
export function mountHome(app: Hono, deps: AppDeps): void {
  const { core } = deps;
  app.get('/', async (c) => {
    const owner = await signedInOwner(c, deps);
    if (!owner) return loginForm(c, deps, { next: '/' });
    const projects = await core.owners.projectsOf(owner.ownerId);
    const list = projects.length
      ? `<ul>${projects.map((p) => `<li><strong>${escapeHtml(p.name)}</strong> <span class="muted">${escapeHtml(p.id)}</span><br><a href="${escapeHtml(p.url)}/">${escapeHtml(p.url)}/</a></li>`).join('')}</ul>`
      : '<p>No project yet. Ask your assistant to create one, or run <code>sitepub project create --name NAME</code>.</p>';
    const mcp = `${core.urls.publicUrl}/mcp`;
    return page(
      c,
      'Home',
      `<header><h1>sitepub</h1><form method="post" action="/logout">${hidden('csrf', owner.csrfToken)}<span class="muted">${escapeHtml(owner.email)}</span> <button type="submit" class="secondary">Sign out</button></form></header>
<h2>Connect an assistant</h2><p>Paste this URL as a connector (ChatGPT, claude.ai, Le Chat) or MCP server (Claude Code, Cursor, VS Code): <code>${escapeHtml(mcp)}</code>. Assistants that support OAuth send you here to sign in and choose a project.</p>
<h2>Projects</h2>${list}`,
    );
  });
}
