/**
 * Lifetimes and limits of the authorization server, in one place (docs/oauth.md repeats them).
 */
export const OAUTH_POLICY = Object.freeze({
  /** Access tokens: one hour. */
  accessTokenTtlMs: 3600_000,
  /** Refresh tokens: 30 days from issue; each use rotates it (a new one, 30 days again). */
  refreshTokenTtlMs: 30 * 24 * 3600_000,
  /** Authorization codes: 60 seconds, single use. */
  codeTtlMs: 60_000,
  /** A DCR registration that never got a token is dropped after a day. */
  unusedClientTtlMs: 24 * 3600_000,
  /** A DCR client with no live grant is dropped 90 days after its last token. */
  idleClientTtlMs: 90 * 24 * 3600_000,
  /** A fetched client metadata document is used for an hour, then fetched again. */
  metadataDocumentTtlMs: 3600_000,
  /** Client metadata documents: at most 16 KiB, 5 seconds, no redirects. */
  metadataDocumentMaxBytes: 16 * 1024,
  /** A JWKS from a jwks_uri: at most 64 KiB, 5 seconds, kept 10 minutes in memory. */
  jwksMaxBytes: 64 * 1024,
  jwksTtlMs: 10 * 60_000,
  /** A JWKS is fetched again for an unknown key id at most this often. */
  jwksRefetchMinMs: 30_000,
  fetchTimeoutMs: 5_000,
  /** A client assertion may live at most a day (its jti is kept until it expires). */
  assertionMaxLifetimeMs: 24 * 3600_000,
  /** Clock skew tolerated on assertion times, seconds. */
  assertionClockToleranceSec: 30,
  /**
   * A checked access token is remembered this long in the process. Revocation on this instance
   * drops it at once; on another instance it takes effect within this time.
   */
  accessCheckCacheMs: 5_000,
  accessCheckCacheMax: 10_000,
  /** A grant's last use is written at most once an hour. */
  touchEveryMs: 3600_000,
  /** Housekeeping of expired rows runs at most once an hour per process. */
  sweepEveryMs: 3600_000,
  /** Registered redirect URIs per client, and the length of each. */
  maxRedirectUris: 10,
  maxRedirectUriLength: 2000,
});
