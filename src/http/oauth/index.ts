import type { Hono } from 'hono';
import { cors } from 'hono/cors';
import { OAUTH_PATHS } from '../../core/oauth/endpoints.js';
import type { AppDeps } from '../context.js';
import { authorizeApp } from './authorize.js';
import { oauthEndpointsApp } from './endpoints.js';
import { mountWellKnown } from './well-known.js';

/**
 * The OAuth 2.1 authorization server on the platform origin (docs/oauth.md): discovery
 * documents, registration, authorization (consent), token and revocation. Paths come from
 * core/oauth/endpoints.ts; the URLs in the metadata are the public URL's.
 */
export function mountOAuth(platform: Hono, deps: AppDeps): void {
  // Browser-based MCP clients (the MCP Inspector, web IDEs) register and exchange codes from their own
  // origin. These endpoints take no cookies (a client authenticates in the body or Basic header), so
  // any origin may call them; the consent page itself is never opened to other origins.
  const anyOrigin = cors({ origin: '*', allowMethods: ['POST', 'GET', 'OPTIONS'], allowHeaders: ['Content-Type', 'Authorization'], maxAge: 86400 });
  for (const path of [OAUTH_PATHS.register, `${OAUTH_PATHS.register}/*`, OAUTH_PATHS.token, OAUTH_PATHS.revoke]) platform.use(path, anyOrigin);
  mountWellKnown(platform, deps);
  platform.route('/', oauthEndpointsApp(deps));
  platform.route('/', authorizeApp(deps));
}
