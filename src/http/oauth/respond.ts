import type { Context } from 'hono';
import { isOAuthError, OAuthError } from '../../core/oauth/errors.js';
import type { Logger } from '../../log.js';

/** Token, registration and revocation answers are never cached (RFC 6749 section 5.1). */
export function noStore(c: Context): void {
  c.header('Cache-Control', 'no-store');
  c.header('Pragma', 'no-cache');
}

/**
 * The one mapping of the JSON endpoints' failures to RFC 6749 error JSON: `{"error",
 * "error_description"}` with its status (invalid_client 401, a rate limit 429 with Retry-After,
 * the rest 400). Anything else is logged and answered as server_error without detail.
 */
export function oauthErrorJson(c: Context, e: unknown, logger: Logger): Response {
  noStore(c);
  if (!isOAuthError(e)) {
    logger.error({ err: e, route: c.req.path }, 'oauth request failed');
    const se = new OAuthError('server_error', 'The request could not be completed; retry later.');
    return c.json(se.toJSON(), 500);
  }
  if (e.retryAfter !== undefined) c.header('Retry-After', String(e.retryAfter));
  if (e.error === 'invalid_client' && /^Basic\s/i.test(c.req.header('authorization') ?? '')) c.header('WWW-Authenticate', 'Basic realm="sitepub"');
  return c.json(e.toJSON(), e.status as 400);
}
