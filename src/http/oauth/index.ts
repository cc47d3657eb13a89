import type { Hono } from 'hono';
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
  mountWellKnown(platform, deps);
  platform.route('/', oauthEndpointsApp(deps));
  platform.route('/', authorizeApp(deps));
}
