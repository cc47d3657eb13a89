import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JSONWebKeySet, type JWTPayload } from 'jose';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { sha256Hex } from '../ids.js';
import type { OAuthClient } from './client-metadata.js';
import { OAuthError } from './errors.js';
import { DocumentFetchError, fetchJsonDocument, type OAuthFetchPolicy } from './fetch-document.js';
import { OAUTH_POLICY } from './policy.js';

export const JWT_BEARER_ASSERTION = 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer';

/** Asymmetric algorithms only: a client's public keys cannot check an HMAC (client_secret_jwt is not offered). */
const ALGORITHMS = ['RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512', 'ES256', 'ES384', 'ES512', 'EdDSA', 'Ed25519'];

interface CachedKeys {
  jwks: JSONWebKeySet;
  fetchedAt: number;
}

const refused = (why: string): OAuthError => new OAuthError('invalid_client', `The client assertion (private_key_jwt) was refused: ${why}.`);

function describe(e: unknown): string {
  if (e instanceof joseErrors.JWTExpired) return 'it has expired (exp is in the past)';
  if (e instanceof joseErrors.JWTClaimValidationFailed) {
    if (e.claim === 'aud') return 'its aud must be the token endpoint URL or the issuer';
    if (e.claim === 'iss' || e.claim === 'sub') return 'its iss and sub must both be the client_id';
    if (e.reason === 'missing') return `it has no ${e.claim} claim`;
    return `its ${e.claim} claim is not valid`;
  }
  if (e instanceof joseErrors.JWKSNoMatchingKey) return 'no key of the client matches its signature (kid/alg)';
  if (e instanceof joseErrors.JWSSignatureVerificationFailed) return 'its signature does not verify with the client keys';
  if (e instanceof joseErrors.JOSEAlgNotAllowed) return `its algorithm is not accepted (use one of ${ALGORITHMS.join(', ')})`;
  if (e instanceof joseErrors.JOSEError) return 'it is not a valid signed JWT';
  throw e;
}

/**
 * Verifies private_key_jwt client assertions (RFC 7523, as ChatGPT's metadata document declares)
 * with jose against the client's `jwks` or the keys at its `jwks_uri` (fetched SSRF-safe, kept 10
 * minutes, fetched again for an unknown key at most every 30 s). Checks iss = sub = client_id,
 * aud (the token endpoint URL, the endpoint called, or the issuer), exp (and a lifetime of at most
 * a day), and that its jti was never seen before: every instance records jtis in the database.
 */
export class AssertionVerifier {
  private readonly keys = new LRUCache<string, CachedKeys>({ max: 500 });
  private lastSweep = 0;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly fetchPolicy: OAuthFetchPolicy,
  ) {}

  async verify(client: OAuthClient, assertion: string, audiences: readonly string[]): Promise<void> {
    let payload: JWTPayload;
    try {
      payload = await this.verifyWithKeys(client, assertion, audiences, false);
    } catch (e) {
      if (e instanceof joseErrors.JWKSNoMatchingKey && client.jwksUri && this.mayRefetch(client.jwksUri)) {
        try {
          payload = await this.verifyWithKeys(client, assertion, audiences, true);
        } catch (e2) {
          if (e2 instanceof OAuthError) throw e2;
          throw refused(describe(e2));
        }
      } else {
        if (e instanceof OAuthError) throw e;
        throw refused(describe(e));
      }
    }
    const now = this.clock.now().getTime();
    const exp = (payload.exp as number) * 1000;
    if (exp - now > OAUTH_POLICY.assertionMaxLifetimeMs) throw refused('it is valid for more than a day (exp is too far ahead)');
    if (typeof payload.jti !== 'string' || payload.jti === '' || payload.jti.length > 512) throw refused('its jti must be a non-empty string');
    await this.sweep(now);
    const seen = await this.db
      .insertInto('oauth_assertion_jtis')
      .values({ id: sha256Hex(`${client.id}\n${payload.jti}`), expires_at: new Date(exp).toISOString() })
      .onConflict((oc) => oc.column('id').doNothing())
      .executeTakeFirst();
    if (Number(seen.numInsertedOrUpdatedRows ?? 0n) === 0) throw refused('its jti was used before (an assertion is good for one request)');
  }

  private async verifyWithKeys(client: OAuthClient, assertion: string, audiences: readonly string[], fresh: boolean): Promise<JWTPayload> {
    const jwks = client.jwks ?? (await this.remoteKeys(client.jwksUri, fresh));
    const { payload } = await jwtVerify(assertion, createLocalJWKSet(jwks), {
      issuer: client.id,
      subject: client.id,
      audience: [...audiences],
      algorithms: ALGORITHMS,
      currentDate: this.clock.now(),
      clockTolerance: OAUTH_POLICY.assertionClockToleranceSec,
      requiredClaims: ['exp', 'jti'],
    });
    return payload;
  }

  private mayRefetch(uri: string): boolean {
    const cached = this.keys.get(uri);
    return !cached || this.clock.now().getTime() - cached.fetchedAt >= OAUTH_POLICY.jwksRefetchMinMs;
  }

  private async remoteKeys(uri: string | null, fresh: boolean): Promise<JSONWebKeySet> {
    if (!uri) throw refused('the client has no keys (jwks or jwks_uri)');
    const now = this.clock.now().getTime();
    const cached = this.keys.get(uri);
    if (cached && !fresh && now - cached.fetchedAt < OAUTH_POLICY.jwksTtlMs) return cached.jwks;
    let doc: Record<string, unknown>;
    try {
      doc = await fetchJsonDocument(uri, { maxBytes: OAUTH_POLICY.jwksMaxBytes, timeoutMs: OAUTH_POLICY.fetchTimeoutMs }, this.fetchPolicy);
    } catch (e) {
      if (e instanceof DocumentFetchError) throw refused(`the client keys at its jwks_uri could not be fetched: ${e.reason}`);
      throw e;
    }
    if (!Array.isArray(doc.keys)) throw refused('its jwks_uri does not hold a JSON Web Key Set ({"keys": [...]})');
    const jwks = { keys: doc.keys } as JSONWebKeySet;
    this.keys.set(uri, { jwks, fetchedAt: now });
    return jwks;
  }

  /** Expired jtis say nothing any more (an expired assertion is refused by its exp): dropped about once an hour. */
  private async sweep(now: number): Promise<void> {
    if (now - this.lastSweep < OAUTH_POLICY.sweepEveryMs) return;
    this.lastSweep = now;
    await this.db.deleteFrom('oauth_assertion_jtis').where('expires_at', '<', new Date(now - OAUTH_POLICY.assertionClockToleranceSec * 1000).toISOString()).execute();
  }
}
