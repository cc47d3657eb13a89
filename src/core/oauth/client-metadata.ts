import type { JSONWebKeySet } from 'jose';
import { OAuthError } from './errors.js';
import { OAUTH_POLICY } from './policy.js';
import { redirectUriProblem } from './redirect-uris.js';

export type ClientAuthMethod = 'none' | 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt';

/** A client as the authorization server uses it, whichever way it came (DCR or a metadata document). */
export interface OAuthClient {
  id: string;
  kind: 'dcr' | 'cimd';
  /** Self-asserted display name; null when the client gave none. */
  name: string | null;
  redirectUris: string[];
  authMethod: ClientAuthMethod;
  /** SHA-256 of the client secret (client_secret_* methods). */
  secretHash: string | null;
  jwks: JSONWebKeySet | null;
  jwksUri: string | null;
  /** The metadata as registered or fetched, without any secret. */
  metadata: Record<string, unknown>;
}

const NAME_MAX = 200;
const GRANT_TYPES = new Set(['authorization_code', 'refresh_token']);

function stringList(v: unknown): string[] | undefined {
  return Array.isArray(v) && v.every((x) => typeof x === 'string') ? (v as string[]) : undefined;
}

function optionalString(doc: Record<string, unknown>, key: string, max = 2000): string | undefined {
  const v = doc[key];
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'string' || v.length > max) throw new OAuthError('invalid_client_metadata', `${key} must be a string of at most ${max} characters.`);
  return v;
}

function checkedRedirectUris(doc: Record<string, unknown>): string[] {
  const uris = stringList(doc.redirect_uris);
  if (!uris || uris.length === 0) throw new OAuthError('invalid_redirect_uri', 'redirect_uris must be a non-empty array of URIs.');
  if (uris.length > OAUTH_POLICY.maxRedirectUris) throw new OAuthError('invalid_redirect_uri', `At most ${OAUTH_POLICY.maxRedirectUris} redirect_uris may be registered.`);
  for (const u of uris) {
    const problem = redirectUriProblem(u);
    if (problem) {
      throw new OAuthError(
        'invalid_redirect_uri',
        `Redirect URI refused: ${problem}. Allowed: https URIs, http://127.0.0.1, http://localhost or http://[::1] on any port, and private-use app schemes such as cursor://.`,
      );
    }
  }
  return [...new Set(uris)];
}

function checkedJwks(doc: Record<string, unknown>): { jwks: JSONWebKeySet | null; jwksUri: string | null } {
  const jwksUri = optionalString(doc, 'jwks_uri');
  const jwks = doc.jwks;
  if (jwksUri !== undefined && jwks !== undefined) throw new OAuthError('invalid_client_metadata', 'Give jwks_uri or jwks, not both.');
  if (jwksUri !== undefined) {
    let u: URL | undefined;
    try {
      u = new URL(jwksUri);
    } catch {
      u = undefined;
    }
    if (!u || u.protocol !== 'https:') throw new OAuthError('invalid_client_metadata', 'jwks_uri must be an https URL.');
    return { jwks: null, jwksUri };
  }
  if (jwks !== undefined) {
    const keys = typeof jwks === 'object' && jwks !== null ? (jwks as { keys?: unknown }).keys : undefined;
    if (!Array.isArray(keys) || keys.length === 0 || keys.length > 20 || !keys.every((k) => typeof k === 'object' && k !== null)) {
      throw new OAuthError('invalid_client_metadata', 'jwks must be a JSON Web Key Set: {"keys": [...]} with 1 to 20 keys.');
    }
    return { jwks: { keys } as JSONWebKeySet, jwksUri: null };
  }
  throw new OAuthError('invalid_client_metadata', 'token_endpoint_auth_method private_key_jwt needs jwks_uri or jwks (the public keys the client signs with).');
}

/** The fields both kinds share, checked: redirect URIs, name, and the keys of private_key_jwt. */
function checkedCommon(doc: Record<string, unknown>, authMethod: ClientAuthMethod) {
  const redirectUris = checkedRedirectUris(doc);
  const name = optionalString(doc, 'client_name', NAME_MAX) ?? null;
  const keys = authMethod === 'private_key_jwt' ? checkedJwks(doc) : { jwks: null, jwksUri: null };
  const grantTypes = doc.grant_types === undefined ? ['authorization_code'] : stringList(doc.grant_types);
  if (!grantTypes || grantTypes.some((g) => !GRANT_TYPES.has(g))) {
    throw new OAuthError('invalid_client_metadata', 'grant_types may contain only "authorization_code" and "refresh_token".');
  }
  const responseTypes = doc.response_types === undefined ? ['code'] : stringList(doc.response_types);
  if (!responseTypes || responseTypes.some((r) => r !== 'code')) throw new OAuthError('invalid_client_metadata', 'response_types may contain only "code".');
  return { redirectUris, name, ...keys, grantTypes, responseTypes };
}

/** What a client may say about itself that is kept (and shown back by the registration endpoint). */
function describedBy(doc: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const key of ['client_uri', 'logo_uri', 'scope', 'software_id', 'software_version', 'application_type', 'contacts', 'tos_uri', 'policy_uri']) {
    if (doc[key] !== undefined) out[key] = doc[key];
  }
  return out;
}

const DCR_METHODS = new Set<ClientAuthMethod>(['none', 'client_secret_post', 'client_secret_basic', 'private_key_jwt']);

/**
 * A Dynamic Client Registration request (RFC 7591) checked: the client as it will be stored
 * (without id and secret) and the metadata the response repeats. Without token_endpoint_auth_method
 * the RFC's default, client_secret_basic, applies (claude.ai registers with client_secret_post).
 */
export function checkRegistration(body: unknown): Omit<OAuthClient, 'id' | 'kind' | 'secretHash'> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new OAuthError('invalid_client_metadata', 'The registration request must be a JSON object.');
  const doc = body as Record<string, unknown>;
  const method = doc.token_endpoint_auth_method ?? 'client_secret_basic';
  if (typeof method !== 'string' || !DCR_METHODS.has(method as ClientAuthMethod)) {
    throw new OAuthError('invalid_client_metadata', 'token_endpoint_auth_method must be one of none, client_secret_post, client_secret_basic, private_key_jwt.');
  }
  const authMethod = method as ClientAuthMethod;
  const c = checkedCommon(doc, authMethod);
  const metadata: Record<string, unknown> = {
    ...describedBy(doc),
    ...(c.name !== null ? { client_name: c.name } : {}),
    redirect_uris: c.redirectUris,
    grant_types: c.grantTypes,
    response_types: c.responseTypes,
    token_endpoint_auth_method: authMethod,
    ...(c.jwksUri ? { jwks_uri: c.jwksUri } : {}),
    ...(c.jwks ? { jwks: c.jwks } : {}),
  };
  return { name: c.name, redirectUris: c.redirectUris, authMethod, jwks: c.jwks, jwksUri: c.jwksUri, metadata };
}

/**
 * Whether a client_id is a Client ID Metadata Document URL: https, with a path, no fragment, no
 * credentials, no dot segments (the URL is its identity: it must read one way only).
 */
export function isMetadataDocumentUrl(clientId: string): boolean {
  if (!clientId.startsWith('https://') || clientId.length > 2000) return false;
  let u: URL;
  try {
    u = new URL(clientId);
  } catch {
    return false;
  }
  return u.href === clientId && u.pathname !== '/' && !u.hash && !clientId.includes('#') && !u.username && !u.password && !/\/\.\.?(\/|$)/.test(u.pathname);
}

const CIMD_METHODS = new Set<ClientAuthMethod>(['none', 'private_key_jwt']);

/**
 * A fetched Client ID Metadata Document checked: its client_id must be the URL it was fetched
 * from, its redirect URIs must follow the same rules as registered ones, and it authenticates with
 * none or private_key_jwt (a document is public: it cannot hold a shared secret). Problems are
 * described in `reason` words for an error page.
 */
export function checkMetadataDocument(url: string, doc: Record<string, unknown>): Omit<OAuthClient, 'id' | 'kind' | 'secretHash'> {
  if (doc.client_id !== url) throw new OAuthError('invalid_client_metadata', `its client_id (${JSON.stringify(doc.client_id)?.slice(0, 200)}) is not the URL it was fetched from`);
  const method = doc.token_endpoint_auth_method ?? 'none';
  if (typeof method !== 'string' || !CIMD_METHODS.has(method as ClientAuthMethod)) {
    throw new OAuthError('invalid_client_metadata', 'its token_endpoint_auth_method must be none or private_key_jwt');
  }
  const authMethod = method as ClientAuthMethod;
  const c = checkedCommon(doc, authMethod);
  const metadata: Record<string, unknown> = {
    ...describedBy(doc),
    client_id: url,
    ...(c.name !== null ? { client_name: c.name } : {}),
    redirect_uris: c.redirectUris,
    token_endpoint_auth_method: authMethod,
    ...(c.jwksUri ? { jwks_uri: c.jwksUri } : {}),
    ...(c.jwks ? { jwks: c.jwks } : {}),
  };
  return { name: c.name, redirectUris: c.redirectUris, authMethod, jwks: c.jwks, jwksUri: c.jwksUri, metadata };
}
