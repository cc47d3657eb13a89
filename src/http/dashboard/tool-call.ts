import { ACCOUNT_ENDPOINTS, invokeAccount } from '../../../tools/account.js';
import { ALL_TOOLS } from '../../../tools/index.js';
import { invokeTool } from '../../../tools/invoke.js';
import type { Actor } from '../../core/projects.js';
import type { AppDeps } from '../context.js';
import type { DashContext } from './context.js';

/**
 * A signed-in owner acts as an account credential with write scope: every owner administers every
 * project (OwnerService.projectsOf), and the guard checked this project is one of them.
 */
const OWNER_ACTOR: Actor = { kind: 'account', projectId: null, scope: 'write', tokenId: null };

/**
 * Runs a tool for the owner, exactly as an assistant's call runs (tools/invoke.ts): the same input
 * schema, the same handler, the same output check. So a rollback, an upload or a download link
 * made here leaves the same data as the tool call would.
 */
export async function callTool<T>(c: DashContext, deps: AppDeps, name: string, args: Record<string, unknown>): Promise<T> {
  const def = ALL_TOOLS.find((t) => t.name === name);
  if (!def) throw new Error(`No tool ${name}`);
  const { data } = await invokeTool(def, { ...args, project_id: c.get('project').id }, { core: deps.core, actor: OWNER_ACTOR, client: `owner:${c.get('owner').ownerId}` });
  return data as T;
}

/** Runs an account endpoint (projects_create) for the owner, as the REST route does. */
export async function callAccount<T>(deps: AppDeps, name: string, args: Record<string, unknown>): Promise<T> {
  const e = ACCOUNT_ENDPOINTS.find((x) => x.name === name);
  if (!e) throw new Error(`No account endpoint ${name}`);
  return (await invokeAccount(e, args, deps.core, OWNER_ACTOR)) as T;
}
