import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Database, OAuthClientTable } from '../../db/schema.js';
import type { Clock } from '../clock.js';
import { newId, tokenHash } from '../ids.js';
import { addressKey } from '../owners/login-throttle.js';
import type { RateLimiter } from '../rate-limit.js';
import { checkMetadataDocument, checkRegistration, isMetadataDocumentUrl, type OAuthClient } from './client-metadata.js';
import { OAuthError } from './errors.js';
import { DocumentFetchError, fetchJsonDocument, type OAuthFetchPolicy } from './fetch-document.js';
import type { Housekeeping } from './housekeeping.js';
import { OAUTH_POLICY } from './policy.js';
import { mintOAuthSecret } from './secrets.js';

/** A client's metadata document could not be used: `reason` says why, for an error page or an invalid_client description. */
export class ClientDocumentError extends Error {
  constructor(
    readonly url: string,
    readonly reason: string,
  ) {
    super(`The client metadata document at ${url} cannot be used: ${reason}.`);
    this.name = 'ClientDocumentError';
  }
}

export interface Registration {
  /** The RFC 7591 response body (client_secret shown here once). */
  response: Record<string, unknown>;
  client: OAuthClient;
}

function toClient(row: OAuthClientTable): OAuthClient {
  return {
    id: row.id,
    kind: row.kind,
    name: row.name,
    redirectUris: JSON.parse(row.redirect_uris) as string[],
    authMethod: row.auth_method,
    secretHash: row.secret_hash,
    jwks: row.jwks ? JSON.parse(row.jwks) : null,
    jwksUri: row.jwks_uri,
    metadata: JSON.parse(row.metadata) as Record<string, unknown>,
  };
}

/**
 * Every client the authorization server knows: registered ones (DCR, RFC 7591) and Client ID
 * Metadata Documents, fetched SSRF-safe from their https client_id and kept in the database
 * (shared by every instance) for an hour.
 */
export class ClientRegistry {
  /**
   * Documents that could not be used, remembered a minute in the process: anyone may send any
   * client_id, and a failing URL is not fetched again for every request that names it.
   */
  private readonly failures = new LRUCache<string, ClientDocumentError>({ max: 1000, ttl: 60_000 });

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly limiter: RateLimiter,
    private readonly fetchPolicy: OAuthFetchPolicy,
    private readonly registrationUri: (clientId: string) => string,
    private readonly housekeeping: Housekeeping,
  ) {}

  /**
   * Registers a client. Each registration counts against the caller's address in the platform's
   * rate limiter (claude.ai registers once per connection; a flood of registrations is refused
   * with temporarily_unavailable and Retry-After).
   */
  async register(body: unknown, ip: string | null): Promise<Registration> {
    const key = `oauth-register:${addressKey(ip)}`;
    const wait = this.limiter.blockedFor(key) || (await this.limiter.fail(key));
    if (wait > 0) throw new OAuthError('temporarily_unavailable', `Too many client registrations from this address; retry in ${wait} s.`, wait);
    const checked = checkRegistration(body);
    await this.housekeeping.maybeSweep();
    const id = newId('cli');
    const secret = checked.authMethod === 'client_secret_post' || checked.authMethod === 'client_secret_basic' ? mintOAuthSecret('clientSecret') : undefined;
    const now = this.clock.now();
    await this.db
      .insertInto('oauth_clients')
      .values({
        id,
        kind: 'dcr',
        name: checked.name,
        redirect_uris: JSON.stringify(checked.redirectUris),
        auth_method: checked.authMethod,
        secret_hash: secret ? tokenHash(secret) : null,
        jwks: checked.jwks ? JSON.stringify(checked.jwks) : null,
        jwks_uri: checked.jwksUri,
        metadata: JSON.stringify(checked.metadata),
        created_at: now.toISOString(),
        used_at: null,
        expires_at: null,
      })
      .execute();
    const client: OAuthClient = { ...checked, id, kind: 'dcr', secretHash: secret ? tokenHash(secret) : null };
    return {
      client,
      response: {
        client_id: id,
        client_id_issued_at: Math.floor(now.getTime() / 1000),
        ...(secret ? { client_secret: secret, client_secret_expires_at: 0 } : {}),
        ...checked.metadata,
        registration_client_uri: this.registrationUri(id),
      },
    };
  }

  /** What the registration endpoint shows of a registered client (no secret), or undefined. */
  async registered(clientId: string): Promise<Record<string, unknown> | undefined> {
    const row = await this.db.selectFrom('oauth_clients').selectAll().where('id', '=', clientId).where('kind', '=', 'dcr').executeTakeFirst();
    return row ? { client_id: row.id, ...(JSON.parse(row.metadata) as Record<string, unknown>), registration_client_uri: this.registrationUri(row.id) } : undefined;
  }

  /**
   * The client with this id, or undefined when it is not registered. An https client_id is a
   * metadata document URL: read from the cache, or fetched (ClientDocumentError when it cannot be
   * fetched or is not a valid document).
   */
  async find(clientId: string): Promise<OAuthClient | undefined> {
    if (clientId.length > 2000) return undefined;
    const row = await this.db.selectFrom('oauth_clients').selectAll().where('id', '=', clientId).executeTakeFirst();
    if (row && (row.kind === 'dcr' || (row.expires_at !== null && row.expires_at > this.clock.now().toISOString()))) return toClient(row);
    if (row?.kind === 'dcr' || !clientId.startsWith('https://')) return undefined;
    if (!isMetadataDocumentUrl(clientId)) throw new ClientDocumentError(clientId, 'the client_id is not a plain https URL with a path');
    const failed = this.failures.get(clientId);
    if (failed) throw failed;
    try {
      return await this.fetchDocument(clientId);
    } catch (e) {
      if (e instanceof ClientDocumentError) this.failures.set(clientId, e);
      throw e;
    }
  }

  private async fetchDocument(url: string): Promise<OAuthClient> {
    let doc: Record<string, unknown>;
    try {
      doc = await fetchJsonDocument(url, { maxBytes: OAUTH_POLICY.metadataDocumentMaxBytes, timeoutMs: OAUTH_POLICY.fetchTimeoutMs }, this.fetchPolicy);
    } catch (e) {
      if (e instanceof DocumentFetchError) throw new ClientDocumentError(url, `it could not be fetched: ${e.reason}`);
      throw e;
    }
    let checked: ReturnType<typeof checkMetadataDocument>;
    try {
      checked = checkMetadataDocument(url, doc);
    } catch (e) {
      if (e instanceof OAuthError) throw new ClientDocumentError(url, e.description.replace(/\.$/, ''));
      throw e;
    }
    const now = this.clock.now();
    const row: OAuthClientTable = {
      id: url,
      kind: 'cimd',
      name: checked.name,
      redirect_uris: JSON.stringify(checked.redirectUris),
      auth_method: checked.authMethod,
      secret_hash: null,
      jwks: checked.jwks ? JSON.stringify(checked.jwks) : null,
      jwks_uri: checked.jwksUri,
      metadata: JSON.stringify(checked.metadata),
      created_at: now.toISOString(),
      used_at: null,
      expires_at: new Date(now.getTime() + OAUTH_POLICY.metadataDocumentTtlMs).toISOString(),
    };
    // Two instances fetching at once both write: the later document wins, both are the same URL's.
    const { id: _id, created_at: _created, used_at: _used, ...update } = row;
    await this.db
      .insertInto('oauth_clients')
      .values(row)
      .onConflict((oc) => oc.column('id').doUpdateSet(update))
      .execute();
    return toClient(row);
  }

  /** The client got tokens: it is in use (unused registrations expire, see sweep). */
  async markUsed(clientId: string): Promise<void> {
    await this.db.updateTable('oauth_clients').set({ used_at: this.clock.now().toISOString() }).where('id', '=', clientId).execute();
  }
}
