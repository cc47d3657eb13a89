import type { Core } from '../src/core/core.js';
import type { LocalFileAccess } from '../src/core/local-files.js';
import type { Actor, Project } from '../src/core/projects.js';
import { parseToolInput, type ToolDef } from './define.js';

/** Who calls a tool, whatever carried the call (MCP over stdio or HTTP, REST, a resource read). */
export interface Caller {
  core: Core;
  actor: Actor;
  /** Project used when the call names none (stdio: --project / SITEPUB_PROJECT). */
  defaultProjectId?: string | undefined;
  /** The client address over HTTP, 'local' over stdio: for the record (never for limits: many callers share an address). */
  client: string;
  /** Folders whose files this caller may upload by path: set by the stdio edge only (CONTRACT section 10). */
  localFiles?: LocalFileAccess | undefined;
}

/**
 * The key a caller's per-credential limits count under: its API token or OAuth grant (the actor's
 * tokenId), else what the edge names it by ('local' over stdio, the owner on the dashboard).
 */
export const credentialOf = (caller: Pick<Caller, 'actor' | 'client'>): string => (caller.actor.tokenId ? `cred:${caller.actor.tokenId}` : caller.client);

/**
 * The one way a tool runs, for every edge: validate the arguments (nothing is written before this
 * ends), authorize the project with the tool's scope (a read-only tool needs read, any other
 * write), run the handler, and validate its answer against the output schema. Throws SitepubError;
 * each edge maps errors once (MCP: an isError result; REST: Hono's onError).
 */
export async function invokeTool(def: ToolDef, args: unknown, caller: Caller, errorPrefix = ''): Promise<{ project: Project; data: Record<string, unknown> }> {
  const { project, answer } = await runTool(def, args, caller, errorPrefix);
  return { project, data: checkOutput(def, answer) };
}

/** invokeTool's first three steps, for an edge that may reuse the checked result of an identical answer (see answer-tag.ts). */
export async function runTool(def: ToolDef, args: unknown, caller: Caller, errorPrefix = ''): Promise<{ project: Project; answer: unknown }> {
  const call = await prepareTool(def, args, caller, errorPrefix);
  return { project: call.project, answer: await call.run() };
}

/** A call checked and authorized, its handler not run yet. */
export interface PreparedCall {
  project: Project;
  /** The answer's tag, when the tool can tell it without the handler (ToolDef.tagFor). */
  tag(): Promise<string | undefined>;
  run(): Promise<unknown>;
}

/** runTool's first two steps (arguments, then the project and scope): nothing runs before they pass. */
export async function prepareTool(def: ToolDef, args: unknown, caller: Caller, errorPrefix = ''): Promise<PreparedCall> {
  const input = parseToolInput(def, args, errorPrefix) as { project_id?: string };
  const project = await caller.core.projects.authorize(caller.actor, input.project_id, caller.defaultProjectId, !def.annotations.readOnlyHint);
  const ctx = { core: caller.core, project, client: caller.client, credential: credentialOf(caller), localFiles: caller.localFiles };
  return {
    project,
    tag: async () => (def.tagFor ? def.tagFor(ctx, input) : undefined),
    run: () => def.handler(ctx, input),
  };
}

/** invokeTool's last step: the answer as the output schema defines it. */
export function checkOutput(def: ToolDef, answer: unknown): Record<string, unknown> {
  return def.output.parse(answer) as Record<string, unknown>;
}
