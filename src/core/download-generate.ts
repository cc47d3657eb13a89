import type { Kysely } from 'kysely';
import type { Database, DownloadTokenTable } from '../db/schema.js';
import type { AssetService } from './assets.js';
import type { Clock } from './clock.js';
import type { UrlConfig } from './config.js';
import { servedDisposition, type Disposition } from './download-disposition.js';
import { tokenBucket, type DownloadQueries } from './download-queries.js';
import { SitepubError, invalid, notFound } from './errors.js';
import { mintToken, newId, tokenDisplayPrefix, tokenHash } from './ids.js';
import type { Project } from './projects.js';
import { normalizeSlug } from './slug.js';

export interface GenerateTokenInput {
  asset_url: string;
  filename?: string | undefined;
  expires_in_hours?: number | undefined;
  expires_in_minutes?: number | undefined;
  max_uses?: number | undefined;
  visitor_id?: string | undefined;
  metadata?: Record<string, unknown> | undefined;
  content_disposition?: Disposition | undefined;
  expiration_redirect_url?: string | undefined;
  require_confirmation?: boolean | undefined;
}

export interface GeneratedToken {
  token: string;
  token_id: string;
  token_prefix: string;
  download_url: string;
  asset_url: string;
  filename: string;
  /** How the link serves the file: as asked, except attachment for active content (download-disposition.ts). */
  content_disposition: Disposition;
  expires_at: string | null;
  max_uses: number;
  visitor_id: string | null;
  metadata: Record<string, unknown>;
  require_confirmation: boolean;
  expiration_redirect_url: string | null;
  created_at: string;
}

const MAX_FILENAME_BYTES = 150;
const MAX_METADATA_BYTES = 4096;

export const downloadUrl = (urls: UrlConfig, token: string): string => `${urls.publicUrl}/d/${token}`;

/** Filename for Content-Disposition: NFC, no path or shell-special characters, at most 150 bytes. */
export function sanitizeFilename(raw: string): string {
  let s = raw.normalize('NFC').replace(/[\u0000-\u001f\u007f/\\:*?"<>|]/g, '_').trim();
  while (Buffer.byteLength(s, 'utf8') > MAX_FILENAME_BYTES) s = s.slice(0, -1);
  return s || 'download';
}

/** The asset slug an `asset_url` names: `/files/a.pdf`, `files/a.pdf` or the asset's public URL on this project's site. */
export function assetSlugOf(project: Project, assetUrl: string): string {
  if (typeof assetUrl !== 'string' || !assetUrl.trim()) throw invalid('asset_url is required', { field: 'asset_url' });
  let p = assetUrl.trim();
  if (/^[a-z][a-z0-9+.-]*:/i.test(p)) {
    let u: URL;
    try {
      u = new URL(p);
    } catch {
      throw invalid(`asset_url "${p}" is not a valid URL`, { field: 'asset_url' });
    }
    if (u.hostname.toLowerCase() !== project.domain) {
      throw invalid(`asset_url must name an asset of this project (host ${project.domain}), by path like "/files/ebook.pdf" or its site URL.`, { field: 'asset_url' });
    }
    p = u.pathname;
  }
  p = p.split(/[?#]/)[0]!.replace(/^\/+/, '');
  try {
    p = decodeURIComponent(p);
  } catch {
    throw invalid(`asset_url "${assetUrl}" has broken percent-encoding`, { field: 'asset_url' });
  }
  return normalizeSlug(p, 'asset');
}

function nonNegInt(v: number | undefined, field: string, max: number): number | undefined {
  if (v === undefined) return undefined;
  if (!Number.isInteger(v) || v < 0 || v > max) throw invalid(`${field} must be a whole number from 0 to ${max}`, { field });
  return v;
}

function redirectUrl(raw: string | undefined): string | null {
  if (raw === undefined) return null;
  let u: URL | undefined;
  try {
    u = new URL(raw);
  } catch {
    u = undefined;
  }
  if (!u || !/^https?:$/.test(u.protocol) || raw.length > 2048) {
    throw invalid('expiration_redirect_url must be an absolute http(s) URL', { field: 'expiration_redirect_url' });
  }
  return u.href;
}

/** Creates download tokens (file-downloads_generate_token). */
export class DownloadGenerator {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly urls: UrlConfig,
    private readonly assets: AssetService,
    private readonly queries: DownloadQueries,
  ) {}

  async generate(project: Project, input: GenerateTokenInput): Promise<GeneratedToken> {
    const slug = assetSlugOf(project, input.asset_url);
    const asset = await this.assets.getInfo(project, slug).catch((e: unknown) => {
      if (e instanceof SitepubError && e.type === 'NOT_FOUND') {
        throw notFound(`Asset "${slug}"`, { hint: 'Upload it first with assets_upload (private: true keeps it off the public site).' });
      }
      throw e;
    });
    const hours = nonNegInt(input.expires_in_hours, 'expires_in_hours', 24 * 365 * 10);
    const minutes = nonNegInt(input.expires_in_minutes, 'expires_in_minutes', 60 * 24 * 365 * 10);
    const maxUses = nonNegInt(input.max_uses, 'max_uses', 1_000_000) ?? 1;
    const now = this.clock.now();
    const ttlMs = minutes !== undefined ? minutes * 60_000 : (hours ?? 24) * 3_600_000;
    const expiresAt = ttlMs === 0 ? null : new Date(now.getTime() + ttlMs).toISOString();
    const metadata = input.metadata ?? {};
    if (typeof metadata !== 'object' || Array.isArray(metadata)) throw invalid('metadata must be an object', { field: 'metadata' });
    const metaText = JSON.stringify(metadata);
    if (Buffer.byteLength(metaText) > MAX_METADATA_BYTES) throw invalid(`metadata must be at most ${MAX_METADATA_BYTES} bytes of JSON`, { field: 'metadata' });
    if (input.visitor_id !== undefined && (input.visitor_id.length === 0 || input.visitor_id.length > 200)) {
      throw invalid('visitor_id must be 1 to 200 characters', { field: 'visitor_id' });
    }
    const redirect = redirectUrl(input.expiration_redirect_url);
    const filename = sanitizeFilename(input.filename ?? slug.slice(slug.lastIndexOf('/') + 1));
    // Stored as it will be served, so the answer and the row say what the link does.
    const disposition = servedDisposition(asset.content_type, input.content_disposition ?? 'attachment');
    const token = mintToken('download');
    const row: DownloadTokenTable = {
      id: newId('dlt'),
      project_id: project.id,
      asset_slug: asset.slug,
      token_hash: tokenHash(token),
      token_prefix: tokenDisplayPrefix(token),
      filename,
      disposition,
      expires_at: expiresAt,
      max_uses: maxUses,
      use_count: 0,
      visitor_id: input.visitor_id ?? null,
      metadata: metaText,
      confirm: input.require_confirmation ? 1 : 0,
      expiration_redirect_url: redirect,
      created_at: now.toISOString(),
      last_used_at: null,
      revoked_at: null,
      grant_fp: null,
      grant_until: null,
      grant_left: 0,
    };
    const counted = this.queries.stateCounts({ ...tokenBucket(row), tokens: 1, revoked: 0, exhausted: 0 });
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('download_tokens').values(row).execute();
      await tx.executeQuery(counted);
    });
    return {
      token,
      token_id: row.id,
      token_prefix: row.token_prefix,
      download_url: downloadUrl(this.urls, token),
      asset_url: asset.path,
      filename,
      content_disposition: disposition,
      expires_at: expiresAt,
      max_uses: maxUses,
      visitor_id: row.visitor_id,
      metadata,
      require_confirmation: row.confirm === 1,
      expiration_redirect_url: redirect,
      created_at: row.created_at,
    };
  }
}
