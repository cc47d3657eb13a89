import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import type { UrlConfig } from '../config.js';
import type { Actor } from '../projects.js';
import type { RateLimiter } from '../rate-limit.js';
import { AccessTokenCheck } from './access-tokens.js';
import { checkAuthorization, redirectWith, type AuthorizationParams, type AuthorizationRequest, type CheckedAuthorization } from './authorization.js';
import { AssertionVerifier } from './client-assertion.js';
import { authenticateClient, type ClientCredentials } from './client-auth.js';
import { ClientRegistry, type Registration } from './clients.js';
import { AuthorizationCodes } from './codes.js';
import { oauthEndpoints, type OAuthEndpoints } from './endpoints.js';
import { OAuthError } from './errors.js';
import type { OAuthFetchPolicy } from './fetch-document.js';
import { Housekeeping } from './housekeeping.js';
import { authorizationServerMetadata, protectedResourceMetadata } from './metadata.js';
import { TokenService, type GrantInfo, type TokenResponse } from './tokens.js';

export interface OAuthOptions {
  /** How client metadata documents and jwks_uri are fetched (tests allow a loopback https server). */
  fetch?: OAuthFetchPolicy | undefined;
}

/** The fields of a token or revocation request sitepub reads (form-encoded, each at most once). */
export type OAuthForm = Partial<Record<string, string>>;

const credentialsOf = (form: OAuthForm, basic: ClientCredentials['basic']): ClientCredentials => ({
  clientId: form.client_id,
  clientSecret: form.client_secret,
  assertionType: form.client_assertion_type,
  assertion: form.client_assertion,
  basic,
});

const required = (form: OAuthForm, names: readonly string[]): void => {
  const missing = names.filter((n) => !form[n]);
  if (missing.length) throw new OAuthError('invalid_request', `Missing ${missing.join(', ')}.`);
};

/**
 * The OAuth 2.1 authorization server of the platform (docs/oauth.md): clients (DCR and metadata
 * documents), authorization requests and codes, the token and revocation endpoints' logic, and
 * the access-token check of every /mcp and REST request. Knows nothing of HTTP: the edge in
 * src/http/oauth parses requests and maps OAuthError once.
 */
export class OAuthService {
  readonly endpoints: OAuthEndpoints;
  readonly clients: ClientRegistry;
  readonly tokens: TokenService;
  private readonly assertions: AssertionVerifier;
  private readonly codes: AuthorizationCodes;
  private readonly access: AccessTokenCheck;

  constructor(db: Kysely<Database>, clock: Clock, urls: UrlConfig, limiter: RateLimiter, options: OAuthOptions = {}) {
    this.endpoints = oauthEndpoints(urls);
    const fetchPolicy = options.fetch ?? {};
    const housekeeping = new Housekeeping(db, clock);
    this.clients = new ClientRegistry(db, clock, limiter, fetchPolicy, (id) => `${this.endpoints.register}/${encodeURIComponent(id)}`, housekeeping);
    this.assertions = new AssertionVerifier(db, clock, fetchPolicy);
    this.codes = new AuthorizationCodes(db, clock);
    this.access = new AccessTokenCheck(db, clock, this.endpoints.resource);
    this.tokens = new TokenService(db, clock, this.codes, this.access, housekeeping);
  }

  authorizationServerMetadata(): Record<string, unknown> {
    return authorizationServerMetadata(this.endpoints);
  }

  protectedResourceMetadata(): Record<string, unknown> {
    return protectedResourceMetadata(this.endpoints);
  }

  /** Dynamic Client Registration (RFC 7591), rate-limited per address. */
  register(body: unknown, ip: string | null): Promise<Registration> {
    return this.clients.register(body, ip);
  }

  /** Checks an authorization request; throws AuthorizationPageError when it must not be answered by a redirect. */
  checkAuthorization(params: AuthorizationParams, repeated: readonly string[] = []): Promise<CheckedAuthorization> {
    return checkAuthorization(this.clients, this.endpoints, params, repeated);
  }

  /** The owner approved, for one of their projects: a code, and where to send the browser with it. */
  async approve(req: AuthorizationRequest, ownerId: string, projectId: string): Promise<string> {
    const code = await this.codes.issue(req, ownerId, projectId);
    return redirectWith(req.redirectUri, this.endpoints.issuer, { code, state: req.state });
  }

  /** The owner said no: access_denied at the client's redirect_uri. */
  deny(req: AuthorizationRequest): string {
    return redirectWith(req.redirectUri, this.endpoints.issuer, { error: 'access_denied', error_description: 'The owner did not allow access.', state: req.state });
  }

  /** The token endpoint: authorization_code and refresh_token grants, after client authentication. */
  async token(form: OAuthForm, basic?: ClientCredentials['basic']): Promise<TokenResponse> {
    const grantType = form.grant_type;
    if (!grantType) throw new OAuthError('invalid_request', 'Missing grant_type (authorization_code or refresh_token).');
    if (grantType !== 'authorization_code' && grantType !== 'refresh_token') {
      throw new OAuthError('unsupported_grant_type', `grant_type ${grantType.slice(0, 100)} is not supported; use authorization_code or refresh_token.`);
    }
    required(form, grantType === 'authorization_code' ? ['code', 'redirect_uri', 'code_verifier'] : ['refresh_token']);
    const client = await authenticateClient(this.clients, this.assertions, credentialsOf(form, basic), [this.endpoints.token, this.endpoints.issuer]);
    return grantType === 'authorization_code' ? this.tokens.exchangeCode(client, form) : this.tokens.refresh(client, form);
  }

  /** The revocation endpoint (RFC 7009). */
  async revoke(form: OAuthForm, basic?: ClientCredentials['basic']): Promise<void> {
    required(form, ['token']);
    const client = await authenticateClient(this.clients, this.assertions, credentialsOf(form, basic), [this.endpoints.revoke, this.endpoints.token, this.endpoints.issuer]);
    await this.tokens.revoke(client, form.token);
  }

  /** The actor of an OAuth access token (UNAUTHORIZED when invalid, expired, revoked or bound to another resource). */
  authenticate(token: string): Promise<Actor> {
    return this.access.check(token);
  }

  /** Connected apps of a project, for the dashboard. */
  grantsOf(projectId: string): Promise<GrantInfo[]> {
    return this.tokens.grantsOf(projectId);
  }

  revokeGrant(grantId: string): Promise<boolean> {
    return this.tokens.revokeGrant(grantId);
  }
}
