import type { UrlConfig } from '../config.js';

/** Paths of the authorization server under the public URL (the HTTP edge mounts these). */
export const OAUTH_PATHS = Object.freeze({
  authorize: '/oauth/authorize',
  token: '/oauth/token',
  register: '/oauth/register',
  revoke: '/oauth/revoke',
});

export interface OAuthEndpoints {
  /** The issuer: the public URL itself. */
  issuer: string;
  /** The one protected resource: the MCP endpoint. Access tokens are bound to it. */
  resource: string;
  /** Where its protected resource metadata is (RFC 9728, path-inserted form). */
  resourceMetadata: string;
  authorize: string;
  token: string;
  register: string;
  revoke: string;
}

/** Every URL of the authorization server, derived from the public URL (SITEPUB_PUBLIC_URL). */
export function oauthEndpoints(urls: UrlConfig): OAuthEndpoints {
  const base = urls.publicUrl;
  return {
    issuer: base,
    resource: `${base}/mcp`,
    resourceMetadata: `${base}/.well-known/oauth-protected-resource/mcp`,
    authorize: base + OAUTH_PATHS.authorize,
    token: base + OAUTH_PATHS.token,
    register: base + OAUTH_PATHS.register,
    revoke: base + OAUTH_PATHS.revoke,
  };
}
