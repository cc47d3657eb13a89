import type { OAuthEndpoints } from './endpoints.js';
import { SCOPES_SUPPORTED } from './scopes.js';

const AUTH_METHODS = ['none', 'private_key_jwt', 'client_secret_post', 'client_secret_basic'];
const SIGNING_ALGS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA'];

/** Authorization server metadata (RFC 8414), also served as OpenID configuration. */
export function authorizationServerMetadata(e: OAuthEndpoints): Record<string, unknown> {
  return {
    issuer: e.issuer,
    authorization_endpoint: e.authorize,
    token_endpoint: e.token,
    registration_endpoint: e.register,
    revocation_endpoint: e.revoke,
    scopes_supported: SCOPES_SUPPORTED,
    response_types_supported: ['code'],
    response_modes_supported: ['query'],
    grant_types_supported: ['authorization_code', 'refresh_token'],
    code_challenge_methods_supported: ['S256'],
    token_endpoint_auth_methods_supported: AUTH_METHODS,
    token_endpoint_auth_signing_alg_values_supported: SIGNING_ALGS,
    revocation_endpoint_auth_methods_supported: AUTH_METHODS,
    revocation_endpoint_auth_signing_alg_values_supported: SIGNING_ALGS,
    client_id_metadata_document_supported: true,
    authorization_response_iss_parameter_supported: true,
  };
}

/** Protected resource metadata (RFC 9728) of the MCP endpoint. */
export function protectedResourceMetadata(e: OAuthEndpoints): Record<string, unknown> {
  return {
    resource: e.resource,
    authorization_servers: [e.issuer],
    scopes_supported: SCOPES_SUPPORTED,
    bearer_methods_supported: ['header'],
    resource_name: 'sitepub',
  };
}
