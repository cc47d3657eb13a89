import type { Kysely } from 'kysely';
import type { Database, UploadUrlTable } from '../db/schema.js';
import type { AssetInfo, AssetService, AssetStreamInput } from './assets.js';
import type { Clock } from './clock.js';
import type { UrlConfig } from './config.js';
import { SitepubError } from './errors.js';
import { isWellFormedToken, mintToken, newId, tokenHash } from './ids.js';
import type { Project, ProjectService } from './projects.js';

/** How long an upload URL can be started: long enough to find the file and run the command, short enough that a leaked URL soon means nothing. */
export const UPLOAD_URL_TTL_MS = 15 * 60_000;
/** Rows of used or expired URLs stay this long after expiry (a late retry still gets "used" or "expired", not "unknown"), then go. */
const KEEP_MS = 24 * 3_600_000;

/** The path of an upload URL under the platform's public URL. */
export const uploadPath = (token: string): string => `/upload/${token}`;

/** What assets_create_upload_url answers (CONTRACT section 10). */
export interface CreatedUploadUrl {
  upload_url: string;
  method: 'PUT';
  expires_at: string;
  max_bytes: number;
  curl: string;
}

/** Single quotes for a POSIX shell: the URL is base64url and safe already; this keeps the command right whatever it holds. */
const shellQuote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

const refusals = {
  TOKEN_INVALID: 'No upload URL matches. Check that the whole URL was copied, or ask the assistant for a new one (assets_create_upload_url).',
  TOKEN_EXPIRED: 'This upload URL has expired (they work for 15 minutes). Nothing was stored. Ask the assistant for a new one (assets_create_upload_url).',
  TOKEN_EXHAUSTED: 'This upload URL has been used already (each works once), or an upload through it is under way. Nothing more was stored. To upload another file, ask the assistant for a new URL (assets_create_upload_url).',
} as const;

const refused = (type: keyof typeof refusals): SitepubError => new SitepubError(type, refusals[type]);

/**
 * One-time upload URLs: a large file goes from the user's computer straight into storage by one
 * PUT of its raw bytes, never through a model as base64. Creating one checks everything that can be
 * checked without the bytes (slug, type, visibility, path) and binds the URL to that upload; the
 * PUT needs no other credential. The token is stored only as its SHA-256.
 *
 * A PUT gets in by one conditional UPDATE (unused, unexpired, not claimed by another PUT), so two
 * PUTs of one URL can never both store. A refused upload (wrong type, too large, cut off) stores
 * nothing and gives the claim back, so the same command can be run again with the right file while
 * the URL is valid; a stored upload marks the URL used in the transaction that writes the asset.
 */
export class UploadUrlService {
  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly urls: UrlConfig,
    private readonly projects: ProjectService,
    private readonly assets: AssetService,
  ) {}

  async create(project: Project, input: AssetStreamInput): Promise<CreatedUploadUrl> {
    const plan = await this.assets.plan(project, input);
    const now = this.clock.now();
    const token = mintToken('upload');
    const expiresAt = new Date(now.getTime() + UPLOAD_URL_TTL_MS).toISOString();
    await this.db.deleteFrom('upload_urls').where('expires_at', '<', new Date(now.getTime() - KEEP_MS).toISOString()).execute();
    await this.db
      .insertInto('upload_urls')
      .values({
        id: newId('upl'),
        project_id: project.id,
        token_hash: tokenHash(token),
        slug: plan.slug,
        private: input.private === undefined ? null : input.private ? 1 : 0,
        alt: input.alt ?? null,
        overwrite: input.overwrite ? 1 : 0,
        created_at: now.toISOString(),
        expires_at: expiresAt,
        claimed_at: null,
        used_at: null,
      })
      .execute();
    const url = `${this.urls.publicUrl}${uploadPath(token)}`;
    return { upload_url: url, method: 'PUT', expires_at: expiresAt, max_bytes: plan.maxBytes, curl: `curl -T FILE ${shellQuote(url)}` };
  }

  /**
   * The PUT: takes the URL (or refuses it: TOKEN_INVALID, TOKEN_EXPIRED, TOKEN_EXHAUSTED), then
   * streams `body` into storage under the asset rules (assets.uploadStream). `declaredBytes` is the
   * request's Content-Length, when it has one.
   */
  async receive(token: string, body: AsyncIterable<Uint8Array> | Iterable<Uint8Array>, declaredBytes?: number): Promise<AssetInfo> {
    const row = await this.claim(token);
    try {
      const project = await this.projects.get(row.project_id);
      const input: AssetStreamInput = { slug: row.slug, overwrite: row.overwrite === 1, ...(row.private === null ? {} : { private: row.private === 1 }), ...(row.alt === null ? {} : { alt: row.alt }) };
      return await this.assets.uploadStream(project, input, body, {
        declaredBytes,
        also: async (tx) => {
          const r = await tx.updateTable('upload_urls').set({ used_at: this.clock.now().toISOString() }).where('id', '=', row.id).where('claimed_at', '=', row.claimed_at).where('used_at', 'is', null).executeTakeFirst();
          if (Number(r.numUpdatedRows) !== 1) throw refused('TOKEN_EXHAUSTED');
        },
      });
    } catch (e) {
      // Nothing was stored: the URL can take the right file while it is valid.
      await this.db.updateTable('upload_urls').set({ claimed_at: null }).where('id', '=', row.id).where('claimed_at', '=', row.claimed_at).where('used_at', 'is', null).execute();
      throw e;
    }
  }

  /** Takes the URL for one PUT, or says why it cannot be taken. */
  private async claim(token: string): Promise<UploadUrlTable & { claimed_at: string }> {
    if (!isWellFormedToken(token, 'upload')) throw refused('TOKEN_INVALID');
    const hash = tokenHash(token);
    const now = this.clock.now().toISOString();
    const taken = await this.db
      .updateTable('upload_urls')
      .set({ claimed_at: now })
      .where('token_hash', '=', hash)
      .where('claimed_at', 'is', null)
      .where('used_at', 'is', null)
      .where('expires_at', '>', now)
      .executeTakeFirst();
    const row = await this.db.selectFrom('upload_urls').selectAll().where('token_hash', '=', hash).executeTakeFirst();
    if (!row) throw refused('TOKEN_INVALID');
    if (Number(taken.numUpdatedRows) === 1 && row.claimed_at === now) return row as UploadUrlTable & { claimed_at: string };
    if (row.used_at !== null || row.claimed_at !== null) throw refused('TOKEN_EXHAUSTED');
    throw refused('TOKEN_EXPIRED');
  }
}
