/**
 * The OAuth protocol's own error answers (RFC 6749 section 5.2, RFC 7591 section 3.2.2, RFC 8707,
 * RFC 7009): a stable `error` code and a description written for whoever reads it (a client
 * developer, often a model). The HTTP edge maps them once (src/http/oauth/respond.ts); they are
 * not SitepubErrors because OAuth clients read `error`, not `type`.
 */
export type OAuthErrorCode =
  | 'invalid_request'
  | 'invalid_client'
  | 'invalid_grant'
  | 'unauthorized_client'
  | 'unsupported_grant_type'
  | 'invalid_scope'
  | 'invalid_target'
  | 'access_denied'
  | 'unsupported_response_type'
  | 'unsupported_token_type'
  | 'invalid_redirect_uri'
  | 'invalid_client_metadata'
  | 'temporarily_unavailable'
  | 'server_error';

/** invalid_client is 401 (Claude re-registers on it); a rate limit 429; the rest 400. */
function statusOf(code: OAuthErrorCode): number {
  if (code === 'invalid_client') return 401;
  if (code === 'temporarily_unavailable') return 429;
  if (code === 'server_error') return 500;
  return 400;
}

export class OAuthError extends Error {
  readonly status: number;

  constructor(
    readonly error: OAuthErrorCode,
    readonly description: string,
    /** Seconds to wait (rate limits). */
    readonly retryAfter?: number,
  ) {
    super(description);
    this.name = 'OAuthError';
    this.status = statusOf(error);
  }

  toJSON(): { error: OAuthErrorCode; error_description: string } {
    return { error: this.error, error_description: this.description };
  }
}

export const isOAuthError = (e: unknown): e is OAuthError => e instanceof OAuthError;

/**
 * An authorization request that cannot be answered at the client's redirect_uri (unknown client,
 * redirect_uri not registered, client metadata document unusable): the person in the browser is
 * shown a page instead. Never a redirect: that would be an open redirector.
 */
export class AuthorizationPageError extends Error {
  constructor(
    readonly title: string,
    message: string,
  ) {
    super(message);
    this.name = 'AuthorizationPageError';
  }
}
