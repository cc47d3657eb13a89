import * as z from 'zod';
import { projectCreateInput, projectInfo, projectListOutput } from '../schemas/project.js';
import type { Core } from '../src/core/core.js';
import { SitepubError } from '../src/core/errors.js';
import type { Actor, Project } from '../src/core/projects.js';
import { parseToolInput, type RestRoute } from './define.js';

/**
 * An account-level endpoint, declared like a tool (its REST route and OpenAPI entry come from this
 * object) but REST-only: it acts on the account, not on one project, and needs an account token.
 */
export interface AccountEndpoint<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  write: boolean;
  rest: RestRoute;
  handler(core: Core, args: z.output<I>): Promise<z.input<O>>;
}

const define = <I extends z.ZodObject, O extends z.ZodObject>(e: AccountEndpoint<I, O>): AccountEndpoint => e as unknown as AccountEndpoint;

const info = (p: Project): z.input<typeof projectInfo> => ({ project_id: p.id, name: p.name, domain: p.domain, url: p.url, created_at: p.created_at });

export const ACCOUNT_ENDPOINTS: readonly AccountEndpoint[] = [
  define({
    name: 'projects_list',
    title: 'List projects',
    description: 'Every project of this sitepub instance (account token).',
    input: z.object({}),
    output: projectListOutput,
    write: false,
    rest: { method: 'GET', path: '/papi/projects' },
    handler: async (core) => {
      const projects = (await core.projects.list()).map(info);
      return { projects, total: projects.length };
    },
  }),
  define({
    name: 'projects_create',
    title: 'Create a project',
    description: 'Creates a project (a site at {subdomain}.{site domain}); needs an account token with write scope.',
    input: projectCreateInput,
    output: projectInfo,
    write: true,
    rest: { method: 'POST', path: '/papi/projects', status: 201 },
    handler: async (core, args) => info(await core.projects.create(args)),
  }),
];

/** Runs an account endpoint: an account token (with write scope for writes), validated input and output. */
export async function invokeAccount(e: AccountEndpoint, args: unknown, core: Core, actor: Actor): Promise<Record<string, unknown>> {
  if (actor.kind === 'project') throw new SitepubError('FORBIDDEN', 'Listing and creating projects needs an account token (sitepub token create --account).');
  if (e.write && actor.scope !== 'write') throw new SitepubError('FORBIDDEN', 'This account token is read-only.');
  const input = parseToolInput(e, args);
  return e.output.parse(await e.handler(core, input)) as Record<string, unknown>;
}
