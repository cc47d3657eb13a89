import type { Hono } from 'hono';
import { projectCreateInput, projectInfo } from '../../schemas/project.js';
import { SitepubError } from '../core/errors.js';
import type { Actor, Project } from '../core/projects.js';
import { zodMessage } from '../mcp/server.js';
import type { AppDeps } from './context.js';
import { bearer, errorJson } from './respond.js';

const info = (p: Project) => projectInfo.parse({ project_id: p.id, name: p.name, domain: p.domain, url: p.url, created_at: p.created_at });

function requireAccount(actor: Actor, write: boolean): void {
  if (actor.kind === 'project') throw new SitepubError('FORBIDDEN', 'Listing and creating projects needs an account token (sitepub token create --account).');
  if (write && actor.scope !== 'write') throw new SitepubError('FORBIDDEN', 'This account token is read-only.');
}

/** Account-level routes: an account token sees every project and may create new ones. */
export function mountAccount(app: Hono, deps: AppDeps): void {
  const { core } = deps;
  app.get('/papi/projects', async (c) => {
    try {
      requireAccount(await core.projects.authenticate(bearer(c)), false);
      const projects = (await core.projects.list()).map(info);
      return c.json({ success: true, data: { projects, total: projects.length } });
    } catch (e) {
      return errorJson(c, e);
    }
  });
  app.post('/papi/projects', async (c) => {
    try {
      requireAccount(await core.projects.authenticate(bearer(c)), true);
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        throw new SitepubError('VALIDATION_ERROR', 'The request body is not valid JSON.', {}, 400);
      }
      const parsed = projectCreateInput.safeParse(body);
      if (!parsed.success) throw new SitepubError('VALIDATION_ERROR', zodMessage(parsed.error));
      return c.json({ success: true, data: info(await core.projects.create(parsed.data)) }, 201);
    } catch (e) {
      return errorJson(c, e);
    }
  });
}
