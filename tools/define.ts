import type * as z from 'zod';
import type { Core } from '../src/core/core.js';
import { SitepubError } from '../src/core/errors.js';
import type { Project } from '../src/core/projects.js';
import { codeUnit, loneSurrogateAt } from '../src/core/slug.js';
import type { LocalFileAccess } from '../src/core/local-files.js';

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
  /** The client address over HTTP, 'local' over stdio: for the record only. */
  client: string;
  /** The caller's credential (API token or OAuth grant), for per-credential limits (invoke.ts credentialOf). */
  credential: string;
  /** Folders whose files a local caller may upload by path (stdio only; absent elsewhere). */
  localFiles?: LocalFileAccess | undefined;
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
  /** Images this result carries (base64), returned as MCP image content too. */
  media?(data: z.output<O>): Array<{ base64: string; mimeType: string }>;
  /**
   * The tag the handler's answer would carry (src/core/answer-tag.ts), found without building the
   * answer; undefined when only the handler can say. An adapter holding the result for this tag
   * answers with it and skips the handler.
   */
  tagFor?(ctx: ToolContext, args: z.output<I>): Promise<string | undefined>;
}

export function defineTool<I extends z.ZodObject, O extends z.ZodObject>(def: ToolDef<I, O>): ToolDef {
  return def as unknown as ToolDef;
}

export const READ: Annotations = { readOnlyHint: true, destructiveHint: false, idempotentHint: true, openWorldHint: false };
export const ADDITIVE: Annotations = { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: false };
export const DESTRUCTIVE: Annotations = { readOnlyHint: false, destructiveHint: true, idempotentHint: true, openWorldHint: false };

/**
 * Where a value a model sent under a wrong name belongs. Applied only when the target's first part
 * is an argument of the same object (so `title` points to meta.title only where there is a meta).
 */
const BELONGS: Record<string, string> = {
  title: 'meta.title',
  language: 'meta.language',
  lang: 'meta.language',
  author: 'meta.author',
  description: 'seo.description',
  keywords: 'seo.keywords',
  robots: 'seo.robots',
  canonical: 'seo.canonical',
  og_title: 'seo.og_title',
  og_description: 'seo.og_description',
  og_image: 'seo.og_image',
  html: 'content',
  body: 'content',
  text: 'content_text',
  path: 'slug',
  page: 'slug',
  url: 'source_url',
  file_url: 'source_url',
  base64: 'content',
  data: 'content',
  version_hash: 'base_version_hash',
  hash: 'base_version_hash',
  find: 'patches[].find',
  replace: 'patches[].replace',
  expires_in: 'expires_in_hours',
  uses: 'max_uses',
  order_id: 'metadata',
  id: 'token_id',
};

/** The object schema at `path` inside a (strict) object schema, for naming its arguments. */
function shapeAt(schema: z.ZodType, path: readonly PropertyKey[]): Record<string, z.ZodType> | undefined {
  type Node = { _zod?: { def?: { type?: string; innerType?: Node; element?: Node; shape?: Record<string, Node> } } };
  const bare = (n: Node | undefined): Node | undefined => {
    while (n?._zod?.def?.innerType && ['optional', 'nullable', 'default', 'readonly', 'catch', 'nonoptional'].includes(n._zod.def.type ?? '')) n = n._zod.def.innerType;
    return n;
  };
  let s = bare(schema as Node);
  for (const k of path) s = bare(typeof k === 'number' ? s?._zod?.def?.element : s?._zod?.def?.shape?.[k as string]);
  return s?._zod?.def?.shape as Record<string, z.ZodType> | undefined;
}

/** Arguments the tool does not take, as one message naming each and where its value belongs. */
function unknownArguments(schema: z.ZodType, error: z.ZodError): { message: string; field: string; names: string[] } | undefined {
  const issue = error.issues.find((i) => i.code === 'unrecognized_keys') as (z.core.$ZodIssueUnrecognizedKeys & { path: PropertyKey[] }) | undefined;
  if (!issue) return undefined;
  const at = issue.path.map(String).join('.');
  const shape = shapeAt(schema, issue.path) ?? {};
  const known = Object.keys(shape);
  const parts = issue.keys.map((k) => {
    const target = BELONGS[k];
    const root = target?.split(/[.[]/)[0];
    const where = target && root !== undefined && known.includes(root) && !known.includes(k) ? `: put it in ${at ? `${at}.` : ''}${target}` : '';
    return `"${k}"${where}`;
  });
  const field = at ? `${at}.${issue.keys[0]}` : issue.keys[0]!;
  const noun = issue.keys.length === 1 ? 'argument' : 'arguments';
  return { message: `Unknown ${noun} ${parts.join('; ')}. ${at ? `${at} takes` : 'This tool takes'}: ${known.join(', ')}.`, field, names: issue.keys };
}

/** One line per problem, "field: what is wrong", for a model to act on. */
export function zodMessage(e: z.ZodError): string {
  return e.issues.map((i) => `${i.path.length ? i.path.join('.') : '(arguments)'}: ${i.message}`).join('; ');
}

/** The first string (value or property name) in `value` that is not well-formed UTF-16, if any. */
function findLoneSurrogate(value: unknown): { field: string; what: string } | undefined {
  // Iterative: the schemas bound the depth, but this walk must not depend on that.
  const stack: Array<[unknown, Array<string | number>]> = [[value, []]];
  while (stack.length > 0) {
    const [v, path] = stack.pop()!;
    if (typeof v === 'string') {
      const at = loneSurrogateAt(v);
      if (at >= 0) return { field: path.join('.'), what: `contains a lone UTF-16 surrogate (code unit ${codeUnit(v, at)} at index ${at})` };
    } else if (Array.isArray(v)) {
      for (let i = v.length - 1; i >= 0; i--) stack.push([v[i], [...path, i]]);
    } else if (v !== null && typeof v === 'object') {
      const entries = Object.entries(v);
      for (const [k] of entries) {
        const at = loneSurrogateAt(k);
        if (at >= 0) return { field: path.join('.'), what: `has a property name with a lone UTF-16 surrogate (code unit ${codeUnit(k, at)} at index ${at})` };
      }
      for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i]![1], [...path, entries[i]![0]]]);
    }
  }
  return undefined;
}

/**
 * Validates a tool's arguments, the same way for MCP and REST, before the handler runs (and so
 * before anything is written). Besides the schema, every string must be well-formed UTF-16: a lone
 * surrogate has no UTF-8 form, so the databases would store a replacement character (content that
 * differs from what was sent and acknowledged) and URL or header encoding would throw. Refused
 * everywhere, JSON values included, so the rule is one: text must be valid Unicode.
 * Throws VALIDATION_ERROR with `field` naming the first offending argument (dotted path).
 */
export function parseToolInput(def: Pick<ToolDef, 'input'>, args: unknown, prefix = ''): Record<string, unknown> {
  const parsed = def.input.safeParse(args);
  if (!parsed.success) {
    const unknown = unknownArguments(def.input, parsed.error);
    if (unknown) throw new SitepubError('VALIDATION_ERROR', `${prefix}${unknown.message}`, { field: unknown.field, unknown_arguments: unknown.names });
    const first = parsed.error.issues[0];
    throw new SitepubError('VALIDATION_ERROR', `${prefix}${zodMessage(parsed.error)}`, first && first.path.length > 0 ? { field: first.path.join('.') } : {});
  }
  const bad = findLoneSurrogate(parsed.data);
  if (bad) {
    const field = bad.field || '(arguments)';
    throw new SitepubError('VALIDATION_ERROR', `${prefix}${field}: ${bad.what}, which is not valid Unicode text. Send well-formed UTF-8/UTF-16 text (characters outside the BMP as complete surrogate pairs).`, bad.field ? { field: bad.field } : {});
  }
  return parsed.data as Record<string, unknown>;
}
