import type { Generated } from 'kysely';

/**
 * Table types. Ids are text, timestamps ISO-8601 text (UTC, millisecond precision, so they sort and
 * compare as strings), booleans 0/1 integers and JSON as text: the same values in SQLite and PostgreSQL.
 */
export interface ProjectTable {
  id: string;
  name: string;
  subdomain: string;
  created_at: string;
  /** Bumped by every write to the site's pages or assets (cache invalidation across instances). */
  generation: Generated<number>;
  /** Number of pages, kept with every page create/delete (migration 0007). */
  page_count: Generated<number>;
  /** Bytes of all the project's assets, kept with every asset write (migration 0010). Read with Number(): int8 may arrive as text. */
  storage_bytes: Generated<number | string>;
  /** This project's storage quota in bytes; null means the server's default (0 there: unlimited). */
  storage_quota_bytes: Generated<number | string | null>;
  /** One more than the table's highest at each write to the site (migration 0011): "what changed since". */
  changed_seq: Generated<number>;
}

export interface DownloadDailyTable {
  project_id: string;
  /** YYYY-MM-DD, UTC */
  day: string;
  asset_slug: string;
  /** Files sent: a bundle's use counts once for each of its files. */
  downloads: number;
  /** Link uses (migration 0014): a bundle's use counts once, on its first file. */
  uses: Generated<number>;
}

/** Token-state counters per creation day and expiry hour (migration 0006), for get-stats. */
export interface DownloadTokenDailyTable {
  project_id: string;
  /** YYYY-MM-DD, UTC, of created_at */
  created_day: string;
  /** YYYY-MM-DDTHH, UTC, of expires_at; 9999-12-31T23 for none */
  expiry_hour: string;
  tokens: number;
  /** revoked tokens */
  revoked: number;
  /** tokens used up and not revoked (expired ones included: the expiry hour decides at read time) */
  exhausted: number;
}

/** Refused attempts per day and outcome (migration 0020), for get-stats: the rows of the 0014 refusals index, counted. */
export interface DownloadRefusedDailyTable {
  project_id: string;
  /** YYYY-MM-DD, UTC, of the attempt's `at` */
  day: string;
  /** the refusal's error type, as download_events.outcome */
  outcome: string;
  attempts: number;
}

export interface RateLimitTable {
  key: string;
  window_start: string;
  count: number;
}

export interface ApiTokenTable {
  id: string;
  /** NULL for an account token, which covers every project. */
  project_id: string | null;
  kind: 'project' | 'account';
  scope: 'read' | 'write';
  token_hash: string;
  token_prefix: string;
  label: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
}

export interface PageTable {
  id: string;
  project_id: string;
  slug: string;
  content: string;
  meta: string;
  seo: string;
  version: number;
  version_hash: string;
  size_bytes: number;
  created_at: string;
  updated_at: string;
  /** Deltas written since the last keyframe, and their bytes; bytes of that keyframe. */
  chain_len: Generated<number>;
  chain_bytes: Generated<number>;
  key_bytes: Generated<number>;
}

export interface PageVersionTable {
  page_id: string;
  version: number;
  hash: string;
  created_by: 'create' | 'update' | 'patch' | 'rollback';
  patch_summary: string | null;
  /** The content (raw), a delta from the version before (delta), or '' when packed (deflate). */
  content: string;
  meta: string;
  seo: string;
  size_bytes: number;
  created_at: string;
  encoding: Generated<'raw' | 'deflate' | 'delta'>;
  packed: Uint8Array | null;
}

/**
 * A stored file content, by its SHA-256 (migration 0018): its bytes are the `blob_chunks` rows of
 * `storage_key`, `chunk_bytes` each (the last one shorter), `chunk_count` of them.
 */
export interface BlobTable {
  sha256: string;
  size_bytes: number;
  storage_key: string;
  chunk_bytes: number;
  chunk_count: number;
  created_at: string;
}

/** The size of a chunk row new blobs are written with: large enough that a file is few rows, small enough that one row is cheap to hold. */
export const DEFAULT_CHUNK_BYTES = 1024 * 1024;

/** One piece of a blob, or of an upload still streaming in (migration 0018). */
export interface BlobChunkTable {
  storage_key: string;
  /** 0, 1, 2...: the chunk at byte offset seq * chunk_bytes. */
  seq: number;
  data: Uint8Array;
}

/** Chunks written by an upload that has not finished (migration 0018); swept when a process died mid-upload. */
export interface BlobStagingTable {
  storage_key: string;
  created_at: string;
}

export interface AssetTable {
  id: string;
  project_id: string;
  slug: string;
  sha256: string;
  content_type: string;
  size_bytes: number;
  private: number;
  alt: string | null;
  created_at: string;
  updated_at: string;
}

export interface DownloadTokenTable {
  id: string;
  project_id: string;
  asset_slug: string;
  token_hash: string;
  token_prefix: string;
  filename: string;
  disposition: 'attachment' | 'inline';
  expires_at: string | null;
  max_uses: number;
  use_count: number;
  visitor_id: string | null;
  metadata: string;
  confirm: number;
  expiration_redirect_url: string | null;
  created_at: string;
  last_used_at: string | null;
  revoked_at: string | null;
  grant_fp: string | null;
  grant_until: string | null;
  /** Range continuations the open grant still serves without a new use (migration 0009). */
  grant_left: number;
  /** Files of a bundle link (download_bundle_files), 0 for a one-file link (migration 0014). */
  bundle: number;
  /** Footer template drawn on every page of a PDF at download time, or null (migration 0014). */
  stamp: string | null;
}

/** The files of a bundle link, in order; position 0 is also the token's asset_slug (migration 0014). */
export interface DownloadBundleFileTable {
  token_id: string;
  position: number;
  project_id: string;
  asset_slug: string;
}

/** A project's webhook (migration 0014). `events` is a comma-separated list; `secret` signs deliveries. */
export interface WebhookTable {
  project_id: string;
  url: string;
  events: string;
  secret: string;
  created_at: string;
  updated_at: string;
}

/** An event to deliver to a project's webhook (migration 0014). */
export interface WebhookOutboxTable {
  id: string;
  project_id: string;
  event: string;
  /** The JSON body, fixed when the event happened. */
  payload: string;
  created_at: string;
  status: 'pending' | 'delivered' | 'failed';
  /** Delivery attempts made (or under way). */
  attempts: number;
  /** When the next attempt is due. */
  next_at: string;
  /** A claim by one delivery loop until this time (see webhooks/delivery.ts). */
  lease_until: string | null;
  leased_by: string | null;
  /** HTTP status of the last attempt, null when it got no answer. */
  last_status: number | null;
  last_error: string | null;
  delivered_at: string | null;
}

export interface DownloadEventTable {
  id: Generated<number>;
  project_id: string;
  token_id: string | null;
  asset_slug: string | null;
  at: string;
  outcome: string;
  ip: string | null;
  visitor_id: string | null;
  user_agent: string | null;
}

/** One row per taken path of a site: pages and assets share the URL space (primary key project_id, path). */
export interface SitePathTable {
  project_id: string;
  path: string;
  kind: 'page' | 'asset';
}

/** A blob stored by an upload whose assets are not committed yet (migration 0010). */
export interface BlobHoldTable {
  hold_id: string;
  sha256: string;
  created_at: string;
}

/** A person who signs in on the platform origin (migration 0012). Every owner administers every project (docs/owners.md). */
export interface OwnerTable {
  id: string;
  /** NFC, lower case; unique. */
  email: string;
  /** `scrypt$N$r$p$salt$hash`, or null: this owner signs in by one-time link only. */
  password_hash: string | null;
  created_at: string;
}

/** A signed-in browser (migration 0012); `id` is the SHA-256 of the cookie's secret. */
export interface OwnerSessionTable {
  id: string;
  owner_id: string;
  /** The token every state-changing form of this session carries. */
  csrf_secret: string;
  created_at: string;
  last_seen_at: string;
  expires_at: string;
}

/** A one-time sign-in link (migration 0012), by the SHA-256 of its token. */
export interface OwnerLoginLinkTable {
  token_hash: string;
  owner_id: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
}

/** An OAuth client (migration 0013): registered by DCR (`kind` 'dcr') or a cached Client ID Metadata Document ('cimd'). */
export interface OAuthClientTable {
  /** The client_id: `cli_...` for DCR, the document's https URL for CIMD. */
  id: string;
  kind: 'dcr' | 'cimd';
  name: string | null;
  /** JSON array of strings. */
  redirect_uris: string;
  auth_method: 'none' | 'client_secret_post' | 'client_secret_basic' | 'private_key_jwt';
  /** SHA-256 of the client secret (DCR with a client_secret_* method), else null. */
  secret_hash: string | null;
  /** JSON Web Key Set (JSON), for private_key_jwt without jwks_uri. */
  jwks: string | null;
  jwks_uri: string | null;
  /** The client's metadata as registered or fetched (JSON, no secret). */
  metadata: string;
  created_at: string;
  /** When the client first got tokens; null: never (unused DCR registrations expire). */
  used_at: string | null;
  /** CIMD: when the cached document must be fetched again. DCR: null. */
  expires_at: string | null;
}

/** An authorization code (migration 0013), by the SHA-256 of the code. */
export interface OAuthCodeTable {
  code_hash: string;
  client_id: string;
  owner_id: string;
  project_id: string;
  redirect_uri: string;
  /** PKCE S256 challenge (base64url of SHA-256 of the verifier). */
  code_challenge: string;
  resource: string;
  scope: string;
  created_at: string;
  expires_at: string;
  used_at: string | null;
  /** The grant this code was exchanged for (revoked if the code is presented again). */
  grant_id: string | null;
}

/** An owner's consent (migration 0013): one client, one project. */
export interface OAuthGrantTable {
  id: string;
  owner_id: string;
  client_id: string;
  /** The client's name when the grant was made (self-asserted), for lists. */
  client_name: string | null;
  project_id: string;
  /** Space-separated: `sitepub:read` or `sitepub:read sitepub:write`. */
  scope: string;
  resource: string;
  created_at: string;
  last_used_at: string;
  revoked_at: string | null;
}

/** An access or refresh token of a grant (migration 0013), by the SHA-256 of the token. */
export interface OAuthTokenTable {
  token_hash: string;
  grant_id: string;
  kind: 'access' | 'refresh';
  created_at: string;
  expires_at: string;
  /** Refresh tokens: when it was exchanged (rotated). */
  used_at: string | null;
}

/** A private_key_jwt assertion seen (migration 0013): SHA-256 of client id and jti, until the assertion expires. */
export interface OAuthAssertionJtiTable {
  id: string;
  expires_at: string;
}

export interface Database {
  projects: ProjectTable;
  api_tokens: ApiTokenTable;
  pages: PageTable;
  page_versions: PageVersionTable;
  blobs: BlobTable;
  assets: AssetTable;
  download_tokens: DownloadTokenTable;
  download_events: DownloadEventTable;
  rate_limits: RateLimitTable;
  download_daily: DownloadDailyTable;
  download_token_daily: DownloadTokenDailyTable;
  download_refused_daily: DownloadRefusedDailyTable;
  site_paths: SitePathTable;
  blob_holds: BlobHoldTable;
  blob_chunks: BlobChunkTable;
  blob_staging: BlobStagingTable;
  upload_urls: UploadUrlTable;
  owners: OwnerTable;
  owner_sessions: OwnerSessionTable;
  owner_login_links: OwnerLoginLinkTable;
  oauth_clients: OAuthClientTable;
  oauth_codes: OAuthCodeTable;
  oauth_grants: OAuthGrantTable;
  oauth_tokens: OAuthTokenTable;
  oauth_assertion_jtis: OAuthAssertionJtiTable;
  download_bundle_files: DownloadBundleFileTable;
  webhooks: WebhookTable;
  webhook_outbox: WebhookOutboxTable;
  site_views_daily: SiteViewsDailyTable;
  site_referrers_daily: SiteReferrersDailyTable;
  site_domains: SiteDomainTable;
  site_keys: SiteKeyTable;
}

/** A one-time upload URL (migration 0019), by the SHA-256 of its token. */
export interface UploadUrlTable {
  id: string;
  project_id: string;
  token_hash: string;
  /** Where the file goes (normalised). */
  slug: string;
  /** As assets_upload's `private`: 1, 0, or null (not given: as the asset it overwrites, else public). */
  private: number | null;
  alt: string | null;
  overwrite: number;
  created_at: string;
  expires_at: string;
  /** Set while an upload through it is under way (cleared when that upload is refused). */
  claimed_at: string | null;
  /** When the file it took was stored: it works no more. */
  used_at: string | null;
}

/** A server-side secret of the site features, by name (migration 0017). */
export interface SiteKeyTable {
  name: string;
  value: string;
  created_at: string;
}

/** Page views per day and page (migration 0016); no visitor data. */
export interface SiteViewsDailyTable {
  project_id: string;
  /** YYYY-MM-DD, UTC */
  day: string;
  /** The page's slug. */
  path: string;
  views: number;
}

/** Page views per day and referring host (migration 0016). */
export interface SiteReferrersDailyTable {
  project_id: string;
  day: string;
  host: string;
  views: number;
}

/** A project's custom domain (migration 0016). */
export interface SiteDomainTable {
  domain: string;
  project_id: string;
  status: 'pending' | 'verified';
  txt_name: string;
  txt_value: string;
  created_at: string;
  verified_at: string | null;
  checked_at: string | null;
}
