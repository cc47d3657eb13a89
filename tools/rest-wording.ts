import { SitepubError } from '../src/core/errors.js';
import { ALL_TOOLS } from './index.js';

/** `GET /papi/project/{project_id}/pages/{slug}` for pages_get: a tool's REST route as a reader writes it. */
const routeOf = (method: string, path: string): string => `${method} ${path.replace(/:([a-z_]+)(\{[^}]*\})?/g, '{$1}')}`;

const ROUTES = new Map(ALL_TOOLS.map((t) => [t.name, routeOf(t.rest.method, t.rest.path)]));
/** Every tool name as a whole word (names contain "-" and "_"), longest first so none shadows another. */
const NAMES = new RegExp(
  `(?<![\\w-])(${[...ROUTES.keys()]
    .sort((a, b) => b.length - a.length)
    .map((n) => n.replace(/[-]/g, '\\-'))
    .join('|')})(?![\\w-])`,
  'g',
);

/** A text that names tools (written for MCP clients) with each tool's REST route instead. */
export function inRestWords(text: string): string {
  return text.replace(NAMES, (name) => ROUTES.get(name) ?? name);
}

/**
 * Core errors are written once, in the tools' words ("Call pages_list to see the existing slugs"),
 * which is what a model on MCP acts on. A REST client knows routes, not tools: at the REST edge
 * the message and every text detail (hint, ...) name the route instead. Other errors pass as they are.
 */
export function restError(e: unknown): unknown {
  if (!(e instanceof SitepubError)) return e;
  const message = inRestWords(e.message);
  const details: Record<string, unknown> = {};
  let changed = message !== e.message;
  for (const [k, v] of Object.entries(e.details)) {
    details[k] = typeof v === 'string' ? inRestWords(v) : v;
    if (details[k] !== v) changed = true;
  }
  if (!changed) return e;
  return new SitepubError(e.type, message, details, e.status);
}

/** For `.catch(throwInRestWords)` at the REST edge. */
export function throwInRestWords(e: unknown): never {
  throw restError(e);
}
