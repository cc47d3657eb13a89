import type { Context, Hono } from 'hono';
import { appTools } from '../../tools/apps.js';
import { ALL_TOOLS } from '../../tools/index.js';
import { authenticateBearer, type AcceptedCredentials } from '../core/credentials.js';
import { toErrorBody } from '../core/errors.js';
import { SCOPE_WRITE, SCOPES_SUPPORTED } from '../core/oauth/scopes.js';
import type { Actor } from '../core/projects.js';
import type { AppDeps } from './context.js';
import { clientIp } from './client-ip.js';
import { bearer } from './respond.js';

const jsonRpcError = (message: string, code = -32000) => ({ jsonrpc: '2.0', error: { code, message }, id: null });

/** Tools that change something (readOnlyHint false), the model's and the app-only ones its views call (a view's rollback button): they need a token with write scope. */
const WRITE_TOOLS: ReadonlySet<string> = new Set([...ALL_TOOLS, ...appTools].filter((t) => !t.annotations.readOnlyHint).map((t) => t.name));

/** The first write tool a JSON-RPC message (or batch) calls, if any. A body that is not JSON is the MCP handler's to refuse. */
export function writeToolCalled(body: string): string | undefined {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return undefined;
  }
  for (const m of Array.isArray(parsed) ? parsed : [parsed]) {
    if (typeof m !== 'object' || m === null) continue;
    const { method, params } = m as { method?: unknown; params?: { name?: unknown } };
    if (method === 'tools/call' && typeof params?.name === 'string' && WRITE_TOOLS.has(params.name)) return params.name;
  }
  return undefined;
}

/**
 * The HTTP edge of MCP: Origin check (DNS rebinding), Bearer credentials, scope, then the MCP
 * handler the composition root wired in (deps.mcp; src/http knows nothing of the SDK).
 *
 * `/mcp` takes API tokens and OAuth access tokens; without credentials its 401 starts OAuth
 * discovery (resource_metadata). `/mcp/token` is the same endpoint for API tokens only, and its
 * 401 advertises no OAuth: clients that drop a configured header once a server offers OAuth
 * (Cursor) keep sending their token there (docs/oauth.md).
 */
export function mountMcp(app: Hono, deps: AppDeps): void {
  const { core, options, logger } = deps;
  // Browsers send Origin. Allowed: the configured origins, and any port of a loopback host (as the
  // SDK's localhost validation does); a rebinding attack arrives with the attacker's own origin.
  const originAllowed = (origin: string): boolean => {
    if (options.allowedOrigins.has(origin)) return true;
    try {
      return ['localhost', '127.0.0.1', '[::1]'].includes(new URL(origin).hostname) && options.allowedHosts.has('localhost');
    } catch {
      return false;
    }
  };

  const { resourceMetadata } = core.oauth.endpoints;
  const scopes = SCOPES_SUPPORTED.join(' ');
  /** RFC 6750 / RFC 9728 challenges: /mcp points at its resource metadata; /mcp/token says nothing of OAuth. */
  const challenge = (accepted: AcceptedCredentials, params: string): string =>
    accepted === 'any' ? `Bearer resource_metadata="${resourceMetadata}", scope="${scopes}"${params}` : `Bearer realm="sitepub"${params}`;

  const serve = async (c: Context, accepted: AcceptedCredentials): Promise<Response> => {
    if (!deps.mcp) return c.json(jsonRpcError('MCP is not served by this app.'), 404);
    const origin = c.req.header('origin');
    if (origin && !originAllowed(origin)) {
      return c.json(jsonRpcError(`Forbidden: Origin ${origin} is not allowed. Set SITEPUB_ALLOWED_ORIGINS to allow it.`), 403);
    }
    const token = bearer(c);
    let actor: Actor;
    try {
      actor = await authenticateBearer(core, token, accepted);
    } catch (e) {
      const body = toErrorBody(e);
      return c.json({ ...jsonRpcError(body.message), sitepub_error: body }, 401, {
        'WWW-Authenticate': challenge(accepted, token === undefined ? '' : ', error="invalid_token"'),
      });
    }
    let request = c.req.raw;
    // Step-up (MCP 2025-11-25): a read-only credential calling a write tool is told, before dispatch,
    // which scope it needs. Only read-only credentials pay for reading the body here.
    if (actor.scope === 'read') {
      const text = await c.req.text();
      const tool = writeToolCalled(text);
      if (tool) {
        const message = `The tool ${tool} changes the project and needs scope ${SCOPE_WRITE}; this credential is read-only. Authorize again with scope ${SCOPE_WRITE}, or use an API token with write scope.`;
        return c.json(jsonRpcError(message), 403, {
          'WWW-Authenticate':
            accepted === 'any'
              ? `Bearer error="insufficient_scope", scope="${SCOPE_WRITE}", resource_metadata="${resourceMetadata}"`
              : `Bearer error="insufficient_scope", scope="${SCOPE_WRITE}"`,
        });
      }
      request = new Request(c.req.raw.url, { method: 'POST', headers: c.req.raw.headers, body: text });
    }
    try {
      return await deps.mcp(request, { actor, client: clientIp(c, deps.trust) ?? 'unknown' });
    } catch (e) {
      logger.error({ err: e }, 'mcp request failed');
      return c.json(jsonRpcError('Internal error', -32603), 500);
    }
  };

  app.post('/mcp', (c) => serve(c, 'any'));
  app.post('/mcp/token', (c) => serve(c, 'api-token'));

  const notAllowed = () =>
    new Response(JSON.stringify(jsonRpcError('Method not allowed: this server is stateless; send JSON-RPC with POST.')), {
      status: 405,
      headers: { 'content-type': 'application/json', allow: 'POST' },
    });
  for (const path of ['/mcp', '/mcp/token']) {
    app.get(path, notAllowed);
    app.delete(path, notAllowed);
  }
}
