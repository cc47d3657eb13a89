import type { Kysely } from 'kysely';
import type { Database, DownloadTokenTable } from '../db/schema.js';
import type { AssetService } from './assets.js';
import type { Clock } from './clock.js';
import type { UrlConfig } from './config.js';
import { BUNDLE_MAX, BUNDLE_MIN } from './download-bundle.js';
import { servedDisposition, type Disposition } from './download-disposition.js';
import { tokenBucket, type DownloadQueries } from './download-queries.js';
import { STAMP_MAX_BYTES, checkStamp, stampLine, stampPdf, stampTooLarge } from './download-stamp.js';
import { SitepubError, invalid, notFound } from './errors.js';
import { mintToken, newId, tokenDisplayPrefix, tokenHash } from './ids.js';
import type { Project } from './projects.js';
import { normalizeSlug } from './slug.js';

export interface GenerateTokenInput {
  /** One file; or asset_urls for a bundle. */
  asset_url?: string | undefined;
  /** 2 to 50 files served as one ZIP by one link (one use). */
  asset_urls?: readonly string[] | undefined;
  /** Footer template drawn on every page of the PDF(s) at download time. */
  stamp?: string | undefined;
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
  /** The file; for a bundle, its first file. */
  asset_url: string;
  /** A bundle's files, in order (absent for a one-file link). */
  asset_urls?: string[];
  filename: string;
  /** How the link serves the file: as asked, except attachment for active content (download-disposition.ts). */
  content_disposition: Disposition;
  expires_at: string | null;
  max_uses: number;
  visitor_id: string | null;
  metadata: Record<string, unknown>;
  require_confirmation: boolean;
  expiration_redirect_url: string | null;
  stamp: string | null;
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

  private async assetInfo(project: Project, slug: string, field: string): Promise<Awaited<ReturnType<AssetService['getInfo']>>> {
    return this.assets.getInfo(project, slug).catch((e: unknown) => {
      if (e instanceof SitepubError && e.type === 'NOT_FOUND') {
        throw notFound(`Asset "${slug}"`, { field, hint: 'Upload it first with assets_upload (private: true keeps it off the public site).' });
      }
      throw e;
    });
  }

  /** The files of the link: one, or a bundle's (2 to 50, distinct, all existing now). */
  private async files(project: Project, input: GenerateTokenInput): Promise<Array<Awaited<ReturnType<AssetService['getInfo']>>>> {
    if ((input.asset_url === undefined) === (input.asset_urls === undefined)) {
      throw invalid('Pass exactly one of asset_url (one file) or asset_urls (2 to 50 files served as one ZIP).', { field: 'asset_url' });
    }
    if (input.asset_url !== undefined) return [await this.assetInfo(project, assetSlugOf(project, input.asset_url), 'asset_url')];
    const urls = input.asset_urls!;
    if (!Array.isArray(urls) || urls.length < BUNDLE_MIN || urls.length > BUNDLE_MAX) {
      throw invalid(`asset_urls takes ${BUNDLE_MIN} to ${BUNDLE_MAX} files; for one file pass asset_url.`, { field: 'asset_urls' });
    }
    const slugs = urls.map((u, i) => {
      try {
        return assetSlugOf(project, u);
      } catch (e) {
        if (e instanceof SitepubError) throw new SitepubError(e.type, `asset_urls[${i}]: ${e.message}`, { ...e.details, field: `asset_urls.${i}` });
        throw e;
      }
    });
    const dup = slugs.findIndex((s, i) => slugs.indexOf(s) !== i);
    if (dup >= 0) throw invalid(`asset_urls[${dup}] names /${slugs[dup]} a second time; list each file once.`, { field: `asset_urls.${dup}` });
    const out = [];
    for (const [i, slug] of slugs.entries()) out.push(await this.assetInfo(project, slug, `asset_urls.${i}`));
    return out;
  }

  async generate(project: Project, input: GenerateTokenInput): Promise<GeneratedToken> {
    const files = await this.files(project, input);
    const bundle = files.length > 1 || input.asset_urls !== undefined;
    const asset = files[0]!;
    const slug = asset.slug;
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
    const filename = sanitizeFilename(input.filename ?? (bundle ? 'bundle.zip' : slug.slice(slug.lastIndexOf('/') + 1)));
    // Stored as it will be served, so the answer and the row say what the link does (a ZIP is always an attachment).
    const disposition = bundle ? 'attachment' : servedDisposition(asset.content_type, input.content_disposition ?? 'attachment');
    const stamp = input.stamp === undefined ? null : checkStamp(input.stamp, input.visitor_id ?? null, metadata as Record<string, unknown>);
    if (stamp !== null) await this.checkStampable(project, files, { stamp, visitor_id: input.visitor_id ?? null, metadata: metaText }, now);
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
      bundle: bundle ? files.length : 0,
      stamp,
    };
    const counted = this.queries.stateCounts({ ...tokenBucket(row), tokens: 1, revoked: 0, exhausted: 0 });
    await this.db.transaction().execute(async (tx) => {
      await tx.insertInto('download_tokens').values(row).execute();
      if (bundle) await tx.insertInto('download_bundle_files').values(files.map((f, position) => ({ token_id: row.id, position, project_id: project.id, asset_slug: f.slug }))).execute();
      await tx.executeQuery(counted);
    });
    return {
      token,
      token_id: row.id,
      token_prefix: row.token_prefix,
      download_url: downloadUrl(this.urls, token),
      asset_url: asset.path,
      ...(bundle ? { asset_urls: files.map((f) => f.path) } : {}),
      filename,
      content_disposition: disposition,
      expires_at: expiresAt,
      max_uses: maxUses,
      visitor_id: row.visitor_id,
      metadata,
      require_confirmation: row.confirm === 1,
      expiration_redirect_url: redirect,
      stamp,
      created_at: row.created_at,
    };
  }

  /**
   * A stamp needs a PDF to draw on, and each PDF must be one pdf-lib can write: tried now, so the
   * model learns it here rather than a buyer at the download (which would refuse without taking a use).
   */
  private async checkStampable(project: Project, files: ReadonlyArray<{ slug: string; content_type: string }>, t: { stamp: string; visitor_id: string | null; metadata: string }, now: Date): Promise<void> {
    const pdfs = files.filter((f) => f.content_type.split(';')[0]!.trim().toLowerCase() === 'application/pdf');
    if (pdfs.length === 0) throw invalid(files.length > 1 ? 'stamp draws on PDF files, and this bundle has none: leave stamp out.' : `stamp draws on PDF files; /${files[0]!.slug} is ${files[0]!.content_type}: leave stamp out.`, { field: 'stamp' });
    const line = stampLine(t, now.toISOString().slice(0, 10));
    for (const f of pdfs) {
      const c = await this.assets.content(project.id, f.slug);
      if (c) await stampPdf(await this.assets.wholeBytes(c.row, STAMP_MAX_BYTES, () => stampTooLarge(f.slug, Number(c.row.size_bytes))), line, f.slug);
    }
  }
}
