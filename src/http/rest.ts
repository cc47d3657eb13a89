import type { Context, Hono } from 'hono';
import { ACCOUNT_ENDPOINTS, invokeAccount } from '../../tools/account.js';
import { invokeTool } from '../../tools/invoke.js';
import { ALL_TOOLS, type ToolDef } from '../../tools/index.js';
import { jsonSchemaOf } from '../../tools/json-schema.js';
import { throwInRestWords } from '../../tools/rest-wording.js';
import { authenticateBearer } from '../core/credentials.js';
import { SitepubError } from '../core/errors.js';
import type { AppDeps } from './context.js';
import { clientIp } from './client-ip.js';
import { bearer } from './respond.js';

type Coerce = (v: string) => unknown;

/** Query strings are text; convert by the field's JSON type so the same zod schema validates REST and MCP. */
function queryCoercers(def: Pick<ToolDef, 'input'>): Map<string, Coerce> {
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

/** The arguments of a REST call: query (GET, DELETE) or JSON body, then path parameters, which win. */
async function argsOf(c: Context, def: Pick<ToolDef, 'rest'>, coercers: Map<string, Coerce>): Promise<Record<string, unknown>> {
  let raw: Record<string, unknown> = {};
  if (def.rest.method === 'GET' || def.rest.method === 'DELETE') {
    for (const [k, v] of Object.entries(c.req.query())) raw[k] = (coercers.get(k) ?? ((s: string) => s))(v);
  } else {
    raw = await readBody(c.req.raw);
  }
  return { ...raw, ...c.req.param() };
}

/** Routes with a literal after a `{.+}` slug must be tried before the bare slug route. */
function specificity(path: string): number {
  const i = path.indexOf('{.+}');
  return i >= 0 && i + 4 < path.length ? 0 : 1;
}

/**
 * One REST route per tool and account endpoint: the same definition, validation and handler as MCP
 * (invokeTool). Failures are thrown; the platform's onError maps them once.
 */
export function mountRest(app: Hono, deps: AppDeps): void {
  const { core } = deps;
  for (const e of ACCOUNT_ENDPOINTS) {
    const coercers = queryCoercers(e);
    app.on(e.rest.method, e.rest.path, async (c) => {
      const actor = await authenticateBearer(core, bearer(c));
      return c.json({ success: true, data: await invokeAccount(e, await argsOf(c, e, coercers), core, actor) }, e.rest.status ?? 200);
    });
  }
  const defs = [...ALL_TOOLS].sort((a, b) => specificity(a.rest.path) - specificity(b.rest.path));
  for (const def of defs) {
    const coercers = queryCoercers(def);
    app.on(def.rest.method, def.rest.path, async (c) => {
      const actor = await authenticateBearer(core, bearer(c));
      const { data } = await invokeTool(def, await argsOf(c, def, coercers), { core, actor, client: clientIp(c, deps.trust) ?? 'unknown' }).catch(throwInRestWords);
      return c.json({ success: true, data }, def.rest.status ?? 200);
    });
  }
}
