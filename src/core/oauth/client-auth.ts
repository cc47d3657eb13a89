import { timingSafeEqual } from 'node:crypto';
import { decodeJwt } from 'jose';
import { tokenHash } from '../ids.js';
import { AssertionVerifier, JWT_BEARER_ASSERTION } from './client-assertion.js';
import type { OAuthClient } from './client-metadata.js';
import { ClientDocumentError, type ClientRegistry } from './clients.js';
import { OAuthError } from './errors.js';

/** What a request to the token or revocation endpoint carries to say which client it is. */
export interface ClientCredentials {
  /** The `client_id` form field. */
  clientId?: string | undefined;
  clientSecret?: string | undefined;
  assertionType?: string | undefined;
  assertion?: string | undefined;
  /** From `Authorization: Basic` (client_secret_basic), already decoded. */
  basic?: { id: string; secret: string } | undefined;
}

const unknownClient = (): OAuthError =>
  new OAuthError('invalid_client', 'Unknown client_id: this client is not registered (registrations unused for a day expire). Register again at the registration endpoint.');

function sameHash(expectedHex: string, secret: string): boolean {
  const a = Buffer.from(expectedHex, 'hex');
  const b = Buffer.from(tokenHash(secret), 'hex');
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The client_id an assertion claims to be from (unverified: it only picks the keys to verify with). */
function assertedClientId(assertion: string): string | undefined {
  try {
    const iss = decodeJwt(assertion).iss;
    return typeof iss === 'string' ? iss : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Authenticates the client of a token or revocation request by the method it registered (or its
 * metadata document declares): `none` (a public client: the client_id alone), a client secret (in
 * the body or HTTP Basic), or a private_key_jwt assertion. Any failure is invalid_client (401),
 * which tells claude.ai to register again.
 */
export async function authenticateClient(
  registry: ClientRegistry,
  assertions: AssertionVerifier,
  creds: ClientCredentials,
  audiences: readonly string[],
): Promise<OAuthClient> {
  const fromAssertion = creds.assertion ? assertedClientId(creds.assertion) : undefined;
  const ids = [creds.basic?.id, creds.clientId, fromAssertion].filter((x): x is string => typeof x === 'string' && x !== '');
  if (ids.length === 0) throw new OAuthError('invalid_client', 'No client identification: send client_id (and the client credentials the client registered with).');
  if (new Set(ids).size > 1) throw new OAuthError('invalid_client', 'The client is identified in several ways that disagree (client_id, Basic credentials, assertion iss).');
  const id = ids[0]!;
  let client: OAuthClient | undefined;
  try {
    client = await registry.find(id);
  } catch (e) {
    if (e instanceof ClientDocumentError) throw new OAuthError('invalid_client', e.message);
    throw e;
  }
  if (!client) throw unknownClient();
  const secret = creds.basic?.secret ?? creds.clientSecret;
  switch (client.authMethod) {
    case 'none':
      if (secret !== undefined || creds.assertion !== undefined) {
        throw new OAuthError('invalid_client', 'This client is public (token_endpoint_auth_method none): send client_id only, no secret or assertion.');
      }
      return client;
    case 'client_secret_post':
    case 'client_secret_basic':
      if (!secret || !client.secretHash || !sameHash(client.secretHash, secret)) {
        throw new OAuthError('invalid_client', 'Client authentication failed: send the client_secret issued at registration (in the body or with HTTP Basic).');
      }
      return client;
    case 'private_key_jwt':
      if (creds.assertionType !== JWT_BEARER_ASSERTION || !creds.assertion) {
        throw new OAuthError('invalid_client', `This client authenticates with private_key_jwt: send client_assertion_type=${JWT_BEARER_ASSERTION} and a signed client_assertion.`);
      }
      await assertions.verify(client, creds.assertion, audiences);
      return client;
  }
}
