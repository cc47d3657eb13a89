import type { Context, Hono } from 'hono';
import type { AppDeps } from '../context.js';

/**
 * Discovery documents: protected resource metadata of /mcp (RFC 9728; path-inserted and root
 * forms) and authorization server metadata (RFC 8414; also as OpenID configuration, which some
 * clients try first). Public, and readable from browser-based clients (CORS).
 */
export function mountWellKnown(app: Hono, deps: AppDeps): void {
  const { oauth } = deps.core;
  const doc = (body: Record<string, unknown>) => (c: Context) => {
    c.header('Access-Control-Allow-Origin', '*');
    c.header('Cache-Control', 'public, max-age=300');
    return c.json(body);
  };
  const resource = doc(oauth.protectedResourceMetadata());
  const server = doc(oauth.authorizationServerMetadata());
  app.get('/.well-known/oauth-protected-resource/mcp', resource);
  app.get('/.well-known/oauth-protected-resource', resource);
  app.get('/.well-known/oauth-authorization-server', server);
  app.get('/.well-known/openid-configuration', server);
}
