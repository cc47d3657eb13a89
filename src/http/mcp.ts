import type { Hono } from 'hono';
import { toErrorBody } from '../core/errors.js';
import type { AppDeps } from './context.js';
import { clientIp } from './client-ip.js';
import { bearer } from './respond.js';

const jsonRpcError = (message: string, code = -32000) => ({ jsonrpc: '2.0', error: { code, message }, id: null });

/**
 * The HTTP edge of MCP: Origin check (DNS rebinding), Bearer token, then the MCP handler the
 * composition root wired in (deps.mcp; src/http knows nothing of the SDK).
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

  app.post('/mcp', async (c) => {
    if (!deps.mcp) return c.json(jsonRpcError('MCP is not served by this app.'), 404);
    const origin = c.req.header('origin');
    if (origin && !originAllowed(origin)) {
      return c.json(jsonRpcError(`Forbidden: Origin ${origin} is not allowed. Set SITEPUB_ALLOWED_ORIGINS to allow it.`), 403);
    }
    let actor;
    try {
      actor = await core.projects.authenticate(bearer(c));
    } catch (e) {
      const body = toErrorBody(e);
      return c.json({ ...jsonRpcError(body.message), sitepub_error: body }, 401, {
        'WWW-Authenticate': 'Bearer realm="sitepub", error="invalid_token"',
      });
    }
    try {
      return await deps.mcp(c.req.raw, { actor, client: clientIp(c, deps.trust) ?? 'unknown' });
    } catch (e) {
      logger.error({ err: e }, 'mcp request failed');
      return c.json(jsonRpcError('Internal error', -32603), 500);
    }
  });

  const notAllowed = () =>
    new Response(JSON.stringify(jsonRpcError('Method not allowed: this server is stateless; send JSON-RPC with POST.')), {
      status: 405,
      headers: { 'content-type': 'application/json', allow: 'POST' },
    });
  app.get('/mcp', notAllowed);
  app.delete('/mcp', notAllowed);
}
