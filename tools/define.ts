import type * as z from 'zod';
import type { Core } from '../src/core/core.js';
import type { Project } from '../src/core/projects.js';

export type Toolset = 'project' | 'pages' | 'assets' | 'downloads';

export interface Annotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

export interface RestRoute {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Hono path; `:project_id` and `:slug` become input fields. */
  path: string;
  /** 201 for creations; 200 otherwise. */
  status?: 200 | 201;
}

/** A page or asset a result refers to; the MCP adapter turns each into a resource_link. */
export interface LinkedResource {
  kind: 'pages' | 'assets';
  slug: string;
  title?: string | null;
  mimeType: string;
}

export interface ToolContext {
  core: Core;
  project: Project;
  /** Who is calling, for per-client limits: the client address over HTTP, 'local' over stdio. */
  client: string;
}

/**
 * One endpoint, declared once: its MCP tool (name, description, schemas, annotations), its REST
 * route and its documentation all come from this object. Static: no database needed to list it.
 */
export interface ToolDef<I extends z.ZodObject = z.ZodObject, O extends z.ZodObject = z.ZodObject> {
  name: string;
  title: string;
  description: string;
  toolset: Toolset;
  input: I;
  output: O;
  annotations: Annotations;
  rest: RestRoute;
  handler(ctx: ToolContext, args: z.output<I>): Promise<z.input<O>>;
  /** Pages or assets this result creates or lists, returned as resource links too. */
  links?(data: z.output<O>): LinkedResource[];
}

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDef<I, O>): ToolDef {
  return def as unknown as ToolDef;
}

export const READ: Annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
export const ADDITIVE: Annotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
export const DESTRUCTIVE: Annotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };
