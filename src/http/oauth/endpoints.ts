import { Hono } from 'hono';
import { OAuthError } from '../../core/oauth/errors.js';
import { OAUTH_PATHS } from '../../core/oauth/endpoints.js';
import { clientIp } from '../client-ip.js';
import type { AppDeps } from '../context.js';
import { basicCredentials, formFields } from './request.js';
import { noStore, oauthErrorJson } from './respond.js';

/**
 * The JSON endpoints of the authorization server: Dynamic Client Registration (RFC 7591), the
 * token endpoint (RFC 6749, form-encoded) and revocation (RFC 7009). Handlers only parse; the
 * logic is core.oauth's, and failures become RFC 6749 error JSON in one place (onError).
 */
export function oauthEndpointsApp(deps: AppDeps): Hono {
  const { core, logger } = deps;
  const app = new Hono();
  app.onError((e, c) => oauthErrorJson(c, e, logger));

  app.post(OAUTH_PATHS.register, async (c) => {
    let body: unknown;
    try {
      body = JSON.parse(await c.req.text());
    } catch {
      throw new OAuthError('invalid_client_metadata', 'The registration request must be a JSON object (Content-Type: application/json).');
    }
    const { response } = await core.oauth.register(body, clientIp(c, deps.trust));
    noStore(c);
    return c.json(response, 201);
  });

  app.get(`${OAUTH_PATHS.register}/:client_id`, async (c) => {
    const registered = await core.oauth.clients.registered(c.req.param('client_id'));
    if (!registered) throw new OAuthError('invalid_client', 'Unknown client_id: it is not registered here (or its registration expired). Register again.');
    noStore(c);
    return c.json(registered);
  });

  app.post(OAUTH_PATHS.token, async (c) => {
    const tokens = await core.oauth.token(await formFields(c), basicCredentials(c));
    noStore(c);
    return c.json(tokens);
  });

  app.post(OAUTH_PATHS.revoke, async (c) => {
    await core.oauth.revoke(await formFields(c), basicCredentials(c));
    noStore(c);
    return c.body(null, 200);
  });

  return app;
}
