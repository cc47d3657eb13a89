import type { OAuthClient } from './client-metadata.js';
import { ClientDocumentError, type ClientRegistry } from './clients.js';
import type { OAuthEndpoints } from './endpoints.js';
import { AuthorizationPageError, type OAuthErrorCode } from './errors.js';
import { isS256Challenge } from './pkce.js';
import { redirectUriRegistered } from './redirect-uris.js';
import { grantedScope } from './scopes.js';

/** The parameters of an authorization request that sitepub reads; the consent form carries them back. */
export const AUTHORIZATION_PARAMS = ['response_type', 'client_id', 'redirect_uri', 'code_challenge', 'code_challenge_method', 'state', 'scope', 'resource'] as const;
export type AuthorizationParams = Partial<Record<(typeof AUTHORIZATION_PARAMS)[number], string>>;

/** A checked authorization request: the consent page shows it, approval turns it into a code. */
export interface AuthorizationRequest {
  client: OAuthClient;
  /** Exactly as the client sent it (or its only registered one): the code is bound to it. */
  redirectUri: string;
  state: string | undefined;
  codeChallenge: string;
  /** The scope the grant will hold (space-separated). */
  scope: string;
  resource: string;
  /** The request's own parameters, for the consent form to carry back. */
  params: AuthorizationParams;
}

/** An authorization request refused at the client's redirect_uri (its redirect_uri is known good). */
export interface AuthorizationRefusal {
  redirectTo: string;
}

export type CheckedAuthorization = { ok: true; request: AuthorizationRequest } | { ok: false; refusal: AuthorizationRefusal };

/** The redirect_uri with the response parameters added (its own query kept), and `iss` always (RFC 9207). */
export function redirectWith(redirectUri: string, issuer: string, params: Record<string, string | undefined>): string {
  const u = new URL(redirectUri);
  for (const [k, v] of Object.entries(params)) if (v !== undefined) u.searchParams.set(k, v);
  u.searchParams.set('iss', issuer);
  return u.href;
}

/**
 * Checks an authorization request in the order RFC 6749 section 4.1.2.1 requires: first who the
 * client is and where it may be sent (a failure there is a page in the browser, never a redirect:
 * no open redirector), then everything else (a failure there is an error at the client's
 * redirect_uri, with its state and our iss).
 */
export async function checkAuthorization(registry: ClientRegistry, endpoints: OAuthEndpoints, params: AuthorizationParams, repeated: readonly string[]): Promise<CheckedAuthorization> {
  const clientId = params.client_id;
  if (!clientId) throw new AuthorizationPageError('Missing client_id', 'The link that brought you here has no client_id, so it cannot be from an app that may connect. Start the connection again from the app.');
  let client: OAuthClient | undefined;
  try {
    client = await registry.find(clientId);
  } catch (e) {
    if (e instanceof ClientDocumentError) {
      throw new AuthorizationPageError('The app could not be identified', `${e.message} Ask the app's developer, or connect again later.`);
    }
    throw e;
  }
  if (!client) {
    throw new AuthorizationPageError(
      'Unknown app',
      'The app that sent you here is not registered with this sitepub (registrations that are not used within a day expire). Remove the connector in the app and add it again.',
    );
  }
  let redirectUri = params.redirect_uri;
  if (redirectUri === undefined) {
    if (client.redirectUris.length !== 1) throw new AuthorizationPageError('Missing redirect_uri', 'The app did not say where to return to, and it registered several places. Start the connection again from the app.');
    redirectUri = client.redirectUris[0]!;
  } else if (repeated.includes('redirect_uri') || !redirectUriRegistered(client.redirectUris, redirectUri)) {
    throw new AuthorizationPageError('Unregistered redirect_uri', 'The app asked to return to an address it did not register, so sitepub will not send you there. Start the connection again from the app.');
  }

  const state = params.state;
  const refuse = (error: OAuthErrorCode, description: string): CheckedAuthorization => ({
    ok: false,
    refusal: { redirectTo: redirectWith(redirectUri, endpoints.issuer, { error, error_description: description, state }) },
  });
  if (repeated.length > 0) return refuse('invalid_request', `Parameters sent more than once: ${repeated.join(', ')}.`);
  if (params.response_type !== 'code') return refuse('unsupported_response_type', 'Only response_type=code is supported.');
  if (!params.code_challenge) return refuse('invalid_request', 'PKCE is required: send code_challenge (S256) and code_challenge_method=S256.');
  if (params.code_challenge_method !== 'S256') return refuse('invalid_request', 'code_challenge_method must be S256 (plain is not accepted).');
  if (!isS256Challenge(params.code_challenge)) return refuse('invalid_request', 'code_challenge must be the base64url SHA-256 of the code verifier (43 characters).');
  const resource = params.resource ?? endpoints.resource;
  if (resource !== endpoints.resource) return refuse('invalid_target', `The only resource here is ${endpoints.resource}; send resource=${endpoints.resource}.`);
  if (state !== undefined && state.length > 2048) return refuse('invalid_request', 'state is longer than 2048 characters.');

  const carried: AuthorizationParams = {};
  for (const k of AUTHORIZATION_PARAMS) if (params[k] !== undefined) carried[k] = params[k];
  return { ok: true, request: { client, redirectUri, state, codeChallenge: params.code_challenge, scope: grantedScope(params.scope), resource, params: carried } };
}
