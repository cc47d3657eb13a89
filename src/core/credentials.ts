import { SitepubError } from './errors.js';
import type { OAuthService } from './oauth/service.js';
import { looksLikeAccessToken } from './oauth/secrets.js';
import type { Actor, ProjectService } from './projects.js';

/** Which bearer credentials an endpoint takes: both kinds (`/mcp`, REST) or API tokens only (`/mcp/token`). */
export type AcceptedCredentials = 'any' | 'api-token';

/**
 * The one bearer check of the HTTP edges: an OAuth access token (`spo_...`, bound to a grant's
 * project and scope) or an API token (`spp_`/`spa_`, as before). Decided by the prefix, so an API
 * token costs what it always did. Throws UNAUTHORIZED.
 */
export function authenticateBearer(core: { projects: ProjectService; oauth: OAuthService }, token: string | undefined, accepted: AcceptedCredentials = 'any'): Promise<Actor> {
  if (token !== undefined && looksLikeAccessToken(token)) {
    if (accepted === 'api-token') {
      return Promise.reject(new SitepubError('UNAUTHORIZED', 'This URL takes API tokens only (spp_...); OAuth access tokens are used at /mcp.'));
    }
    return core.oauth.authenticate(token);
  }
  return core.projects.authenticate(token);
}
