import type { Hono } from 'hono';
import { parseToolInput } from '../../tools/define.js';
import { ALL_TOOLS, type ToolDef } from '../../tools/index.js';
import { SitepubError } from '../core/errors.js';
import { jsonSchemaOf } from '../mcp/catalog.js';
import type { AppDeps } from './context.js';
import { clientIp } from './client-ip.js';
import { bearer, errorJson } from './respond.js';

type Coerce = (v: string) => unknown;

/** Query strings are text; convert by the field's JSON type so the same zod schema validates REST and MCP. */
function queryCoercers(def: ToolDef): Map<string, Coerce> {
  const props = (jsonSchemaOf(def.input, 'input').properties ?? {}) as Record<string, { type?: string }>;
  const out = new Map<string, Coerce>();
  for (const [k, v] of Object.entries(props)) {
    if (v.type === 'integer' || v.type === 'number') out.set(k, (s) => (s.trim() !== '' && Number.isFinite(Number(s)) ? Number(s) : s));
    else if (v.type === 'boolean') out.set(k, (s) => (s === 'true' || s === '1' ? true : s === 'false' || s === '0' ? false : s));
    else out.set(k, (s) => s);
  }
  return out;
}

async function readBody(req: Request): Promise<Record<string, unknown>> {
  const text = await req.text();
  if (text.trim() === '') return {};
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch {
    throw new SitepubError('VALIDATION_ERROR', 'The request body is not valid JSON.', {}, 400);
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v)) {
    throw new SitepubError('VALIDATION_ERROR', 'The request body must be a JSON object.', {}, 400);
  }
  return v as Record<string, unknown>;
}

/** Routes with a literal after a `{.+}` slug must be tried before the bare slug route. */
function specificity(path: string): number {
  const i = path.indexOf('{.+}');
  return i >= 0 && i + 4 < path.length ? 0 : 1;
}

/** Mounts one REST route per tool definition: same schema, same handler, same errors as MCP. */
export function mountRest(app: Hono, deps: AppDeps): void {
  const { core } = deps;
  const defs = [...ALL_TOOLS].sort((a, b) => specificity(a.rest.path) - specificity(b.rest.path));
  for (const def of defs) {
    const coercers = queryCoercers(def);
    const write = !def.annotations.readOnlyHint;
    app.on(def.rest.method, def.rest.path, async (c) => {
      try {
        const actor = await core.projects.authenticate(bearer(c));
        let raw: Record<string, unknown> = {};
        if (def.rest.method === 'GET' || def.rest.method === 'DELETE') {
          for (const [k, v] of Object.entries(c.req.query())) raw[k] = (coercers.get(k) ?? ((s: string) => s))(v);
        } else {
          raw = await readBody(c.req.raw);
        }
        const args = { ...raw, ...c.req.param() } as Record<string, unknown>;
        const input = parseToolInput(def, args);
        const project = await core.projects.authorize(actor, c.req.param('project_id'), undefined, write);
        const data = def.output.parse(await def.handler({ core, project, client: clientIp(c, deps.trust) ?? 'unknown' }, input));
        return c.json({ success: true, data }, def.rest.status ?? 200);
      } catch (e) {
        if (!(e instanceof SitepubError)) deps.logger.error({ route: def.rest.path, err: e }, 'request failed');
        return errorJson(c, e);
      }
    });
  }
}
