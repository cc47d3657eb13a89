import type { Readable } from 'node:stream';
import type { CompiledQuery, Kysely, Transaction } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Db as SqlDb } from '../db/connect.js';
import type { AssetTable, Database } from '../db/schema.js';
import { template } from '../db/query-template.js';
import { syncRead } from '../db/sync-read.js';
import { AssetStreamCheck } from './asset-stream-check.js';
import { ASSET_GET_MAX_BYTES, assertVisibility, assetKindForSlug, assetLimit, assetTooLarge, decodeBase64Strict, verifyAssetBytes, type AssetKind } from './asset-types.js';
import { BlobStore, type StagedBlob, type StreamCheck } from './blob-store.js';
import type { Clock } from './clock.js';
import { sitePathUrl, type Limits, type UrlConfig } from './config.js';
import { SitepubError, invalid, notFound } from './errors.js';
import type { ChangeBus } from './events.js';
import { bumpGeneration } from './generation.js';
import { newId, sha256Hex } from './ids.js';
import { safeFetchStream, type SafeFetchOptions } from './net/safe-fetch.js';
import type { Project } from './projects.js';
import { assertDistinctSlugs, checkBulkSize, forItem, forItemSync } from './bulk.js';
import { StorageQuota } from './storage-quota.js';
import { normalizeSlug } from './slug.js';
import { releasePath, takePath } from './site-paths.js';

export interface AssetUploadInput {
  slug: string;
  content?: string | undefined;
  content_text?: string | undefined;
  source_url?: string | undefined;
  alt?: string | undefined;
  overwrite?: boolean | undefined;
  private?: boolean | undefined;
}

export interface AssetInfo {
  slug: string;
  /** Root-relative path, usable as `asset_url` for download tokens. */
  path: string;
  /** Public URL on the site, or null for a private asset (reachable only through download links). */
  url: string | null;
  content_type: string;
  size_bytes: number;
  sha256: string;
  private: boolean;
  alt: string | null;
  created_at: string;
  updated_at: string;
}

/** Options the server sets for `source_url` fetches (tests allow a loopback server explicitly). */
export type FetchPolicy = Pick<SafeFetchOptions, 'allowAddresses' | 'lookup' | 'userAgent'>;

/** What an upload URL carries besides the bytes: assets_upload's arguments without a source. */
export type AssetStreamInput = Pick<AssetUploadInput, 'slug' | 'alt' | 'overwrite' | 'private'>;

/** One asset's row and, for a file up to WHOLE_FILE_BYTES, its bytes; a larger file is read as a stream (AssetService.read). */
export interface AssetContent {
  row: AssetTable;
  data: Buffer | undefined;
}

type Db = Kysely<Database> | Transaction<Database>;
/** An item whose bytes are already in `blobs`: what the asset row needs, without the bytes. */
type Stored = { slug: string; size: number; contentType: string; sha256: string; input: AssetUploadInput };
/** A checked upload: its bytes in memory (small, sent in the call), or staged in storage as they streamed in. */
type Prepared = Stored & { body: { bytes: Buffer } | { staged: StagedBlob } };

const stored = (p: Prepared): Stored => ({ slug: p.slug, size: p.size, contentType: p.contentType, sha256: p.sha256, input: p.input });

function normalizeSlugAt(index: number, raw: unknown): string {
  return forItemSync(index, () => normalizeSlug(raw, 'asset'));
}

const BLOB_CACHE_BYTES = 32 * 1024 * 1024;
/** Files up to this size are read whole (and cached); larger ones (private files for sale) only ever stream. */
export const WHOLE_FILE_BYTES = BLOB_CACHE_BYTES / 4;
/** Uploads (staged chunks, holds) older than this were left by a process that died: swept. */
const STALE_UPLOAD_MS = 24 * 3_600_000;

export class AssetService {
  /** Bytes by content hash (never stale: new content is a new key), least recently used out first. */
  private readonly cache = new LRUCache<string, Buffer>({ maxSize: BLOB_CACHE_BYTES, maxEntrySize: WHOLE_FILE_BYTES, sizeCalculation: (b) => Math.max(1, b.byteLength) });
  /** The files' bytes, in chunks. */
  readonly blobs: BlobStore;

  constructor(
    private readonly db: Kysely<Database>,
    private readonly clock: Clock,
    private readonly urls: UrlConfig,
    private readonly limits: Limits,
    private readonly bus: ChangeBus,
    private readonly sqlDb: SqlDb,
    private readonly fetchPolicy: FetchPolicy = {},
  ) {
    this.quota = new StorageQuota(db, limits.storageQuotaBytes);
    this.blobs = new BlobStore(db, clock, limits.chunkBytes);
  }

  readonly quota: StorageQuota;

  private info(project: Project, row: AssetTable): AssetInfo {
    const priv = row.private === 1;
    return {
      slug: row.slug,
      path: `/${row.slug}`,
      url: priv ? null : sitePathUrl(this.urls, project.subdomain, row.slug),
      content_type: row.content_type,
      size_bytes: row.size_bytes,
      sha256: row.sha256,
      private: priv,
      alt: row.alt,
      created_at: row.created_at,
      updated_at: row.updated_at,
    };
  }

  async list(project: Project, limit = 100, offset = 0): Promise<{ assets: AssetInfo[]; total: number }> {
    const [rows, total] = await Promise.all([
      this.db.selectFrom('assets').selectAll().where('project_id', '=', project.id).orderBy('slug').limit(limit).offset(offset).execute(),
      this.db.selectFrom('assets').select((eb) => eb.fn.countAll<number>().as('n')).where('project_id', '=', project.id).executeTakeFirstOrThrow(),
    ]);
    return { assets: rows.map((r) => this.info(project, r)), total: Number(total.n) };
  }

  private async findRow(db: Db, projectId: string, slug: string): Promise<AssetTable> {
    const row = await db.selectFrom('assets').selectAll().where('project_id', '=', projectId).where('slug', '=', slug).executeTakeFirst();
    if (!row) throw notFound(`Asset "${slug}"`, { slug, hint: 'Call assets_list to see the existing slugs.' });
    return row;
  }

  async getInfo(project: Project, rawSlug: string): Promise<AssetInfo> {
    return this.info(project, await this.findRow(this.db, project.id, normalizeSlug(rawSlug, 'asset')));
  }

  async get(project: Project, rawSlug: string): Promise<AssetInfo & { content: string }> {
    const slug = normalizeSlug(rawSlug, 'asset');
    const row = await this.findRow(this.db, project.id, slug);
    if (row.size_bytes > ASSET_GET_MAX_BYTES) throw this.tooLargeToGet(project, row);
    const data = await this.blobs.bytes(row.sha256);
    if (!data) throw notFound(`Asset "${slug}"`, { slug });
    return { ...this.info(project, row), content: data.toString('base64') };
  }

  /**
   * A file too large to answer as base64 (a model cannot carry it): says where to get it instead,
   * a download link for a private file, the site URL for a public one. The bytes are never read.
   */
  private tooLargeToGet(project: Project, row: AssetTable): SitepubError {
    const size = `${Math.round((row.size_bytes / 2 ** 20) * 10) / 10} MB`;
    const limit = `${ASSET_GET_MAX_BYTES / 2 ** 20} MB`;
    const base = { slug: row.slug, path: `/${row.slug}`, size_bytes: row.size_bytes, max_bytes: ASSET_GET_MAX_BYTES };
    if (row.private === 1) {
      return new SitepubError(
        'PAYLOAD_TOO_LARGE',
        `"${row.slug}" is ${size}, too large to return as base64 (assets_get answers files up to ${limit}). It is private: to get it, create a download link with file-downloads_generate_token (asset_url: "/${row.slug}") and open its download_url; assets_list shows its size, type and sha256 without the bytes.`,
        { ...base, private: true, use_tool: 'file-downloads_generate_token', asset_url: `/${row.slug}` },
      );
    }
    const url = sitePathUrl(this.urls, project.subdomain, row.slug);
    return new SitepubError(
      'PAYLOAD_TOO_LARGE',
      `"${row.slug}" is ${size}, too large to return as base64 (assets_get answers files up to ${limit}). It is public: download it from ${url}; assets_list shows its size, type and sha256 without the bytes.`,
      { ...base, private: false, url },
    );
  }

  /** Whether the upload will be stored private: as asked, or as the asset it overwrites is. */
  private async willBePrivate(projectId: string, slug: string, input: AssetUploadInput): Promise<boolean> {
    if (input.private !== undefined) return input.private === true;
    if (!input.overwrite) return false;
    const row = await this.db.selectFrom('assets').select('private').where('project_id', '=', projectId).where('slug', '=', slug).executeTakeFirst();
    return row?.private === 1;
  }

  /** Where an upload goes and what it may be: slug, type, visibility and the size limit. */
  private async target(project: Project, input: AssetStreamInput): Promise<{ slug: string; kind: AssetKind; maxBytes: number; private: boolean }> {
    const slug = normalizeSlug(input.slug, 'asset');
    const kind = assetKindForSlug(slug);
    const priv = await this.willBePrivate(project.id, slug, input);
    assertVisibility(kind, priv);
    return { slug, kind, maxBytes: assetLimit(kind, priv, this.limits.maxPrivateBytes), private: priv };
  }

  /**
   * What an upload to `input.slug` would be, checked before any byte is sent (an upload URL is
   * made only for an upload that can succeed now): slug, type, visibility and size limit, and the
   * path (a page there, or an asset without overwrite, is ALREADY_EXISTS). The upload checks it all
   * again when its bytes arrive.
   */
  async plan(project: Project, input: AssetStreamInput): Promise<{ slug: string; maxBytes: number; private: boolean }> {
    const t = await this.target(project, input);
    const taken = await this.db.selectFrom('site_paths').select('kind').where('project_id', '=', project.id).where('path', '=', t.slug).executeTakeFirst();
    if (taken?.kind === 'page') throw new SitepubError('ALREADY_EXISTS', `A page already uses the path "${t.slug}"; pages and assets share the site's URL space. Choose another slug.`, { slug: t.slug });
    if (taken && !input.overwrite) {
      throw new SitepubError('ALREADY_EXISTS', `Asset "${t.slug}" already exists. Pass overwrite: true to replace it, or choose another slug.`, { slug: t.slug });
    }
    return { slug: t.slug, maxBytes: t.maxBytes, private: t.private };
  }

  /**
   * Everything that can fail before the asset row is written: slug, source, type, visibility and
   * size. Bytes sent in the call are checked in memory; a source_url streams into storage as it
   * downloads (staged: the caller commits it with the row, or discards it).
   */
  private async prepare(project: Project, input: AssetUploadInput): Promise<Prepared> {
    const { slug, kind, maxBytes } = await this.target(project, input);
    const given = [input.content, input.content_text, input.source_url].filter((v) => v !== undefined && v !== null).length;
    if (given !== 1) {
      throw invalid('Pass exactly one of content (base64), content_text (for text files such as CSS, SVG or JSON), or source_url.', { field: 'content' });
    }
    let bytes: Buffer;
    if (input.content !== undefined) {
      bytes = decodeBase64Strict(input.content, maxBytes, kind);
    } else if (input.content_text !== undefined) {
      if (!kind.text) {
        throw invalid(`content_text is only for text files (svg, json, css, js, txt, xml, html); "${slug}" is binary: send it base64 in content or use source_url.`, { field: 'content_text' });
      }
      bytes = Buffer.from(input.content_text, 'utf8');
      if (bytes.length > maxBytes) {
        throw new SitepubError('PAYLOAD_TOO_LARGE', `content_text is ${bytes.length} bytes; the limit for .${kind.ext} is ${maxBytes} bytes.`, { size_bytes: bytes.length, max_bytes: maxBytes });
      }
    } else {
      await this.sweepStaleHolds();
      const staged = await safeFetchStream(
        input.source_url!,
        { maxBytes, timeoutMs: this.limits.fetchTimeoutMs, maxRedirects: this.limits.fetchMaxRedirects, ...this.fetchPolicy },
        async (res) => this.blobs.stage(res.body, await this.streamCheck(project, slug, input, kind, maxBytes)),
      );
      return { slug, size: staged.size, contentType: staged.contentType, sha256: staged.sha256, input, body: { staged } };
    }
    const contentType = await verifyAssetBytes(kind, bytes, maxBytes);
    return { slug, size: bytes.length, contentType, sha256: sha256Hex(bytes), input, body: { bytes } };
  }

  /**
   * The checks a streamed upload passes piece by piece: type and size (AssetStreamCheck), and the
   * project's storage quota, so an upload that cannot fit stops when it passes the room left rather
   * than after the whole file is in. A replacement may use the room left plus what it replaces (an
   * overwrite of a slug that has no asset, nothing more), so no upload stages more than could be
   * stored. The transaction that stores the asset decides in every case.
   */
  private async streamCheck(project: Project, slug: string, input: AssetStreamInput, kind: AssetKind, maxBytes: number): Promise<StreamCheck> {
    const inner = new AssetStreamCheck(kind, maxBytes);
    const replaced = input.overwrite
      ? ((await this.db.selectFrom('assets').select('size_bytes').where('project_id', '=', project.id).where('slug', '=', slug).executeTakeFirst())?.size_bytes ?? 0)
      : 0;
    const roomOf = async (): Promise<number> => {
      const u = await this.quota.usage(project.id);
      return u.quota > 0 ? u.quota - u.used + replaced : Infinity;
    };
    let room = await roomOf();
    let size = 0;
    return {
      push: async (bytes) => {
        await inner.push(bytes);
        size += bytes.length;
        if (size <= room) return;
        await this.quota.assertRoom(project.id, size - replaced);
        room = await roomOf();
      },
      end: () => inner.end(),
    };
  }

  /** Drops the staged bytes of a prepared upload that will not be stored (nothing for bytes in memory). */
  private async discard(p: Prepared): Promise<void> {
    if ('staged' in p.body) await this.blobs.discard(p.body.staged.storageKey).catch(() => undefined);
  }

  /**
   * Writes the asset row for bytes already in `blobs` (put in this transaction, or staged under a
   * hold), claims its path, and moves the project's storage count; all in the caller's transaction.
   */
  private async store(tx: Db, project: Project, p: Stored, now: string): Promise<AssetTable> {
    const page = await tx.selectFrom('pages').select('id').where('project_id', '=', project.id).where('slug', '=', p.slug).executeTakeFirst();
    if (page) throw new SitepubError('ALREADY_EXISTS', `A page already uses the path "${p.slug}"; pages and assets share the site's URL space.`, { slug: p.slug });
    const existing = await tx.selectFrom('assets').selectAll().where('project_id', '=', project.id).where('slug', '=', p.slug).executeTakeFirst();
    if (existing && !p.input.overwrite) {
      throw new SitepubError('ALREADY_EXISTS', `Asset "${p.slug}" already exists. Pass overwrite: true to replace it, or choose another slug.`, { slug: p.slug });
    }
    // Decided here again, on the row this transaction sees: the asset overwritten may have changed
    // since the bytes were checked, and a sellable type or a large file must never become public.
    const kind = assetKindForSlug(p.slug);
    const priv = existing && p.input.private === undefined ? existing.private === 1 : p.input.private === true;
    assertVisibility(kind, priv);
    const maxBytes = assetLimit(kind, priv, this.limits.maxPrivateBytes);
    if (p.size > maxBytes) throw assetTooLarge(kind, p.size, maxBytes);
    // Locks in one order everywhere (the path claim, then the project row) so racing writers queue instead of deadlocking.
    if (!existing) await takePath(tx, project.id, p.slug, 'asset');
    await this.quota.charge(tx, project.id, p.size - (existing?.size_bytes ?? 0));
    if (existing) {
      // Overwriting keeps the private flag and alt text unless the caller sets them: replacing a
      // private file must never publish it by accident.
      const row: AssetTable = {
        ...existing,
        sha256: p.sha256,
        content_type: p.contentType,
        size_bytes: p.size,
        private: p.input.private === undefined ? existing.private : p.input.private ? 1 : 0,
        alt: p.input.alt === undefined ? existing.alt : p.input.alt,
        updated_at: now,
      };
      await tx.updateTable('assets').set(row).where('id', '=', existing.id).execute();
      if (existing.sha256 !== p.sha256) await this.collectBlob(tx, existing.sha256);
      return row;
    }
    const row: AssetTable = {
      id: newId('ast'),
      project_id: project.id,
      slug: p.slug,
      sha256: p.sha256,
      content_type: p.contentType,
      size_bytes: p.size,
      private: p.input.private ? 1 : 0,
      alt: p.input.alt ?? null,
      created_at: now,
      updated_at: now,
    };
    await tx.insertInto('assets').values(row).execute();
    return row;
  }

  /**
   * Deletes a blob no asset or pending upload points at any more (blobs are shared by content across
   * projects). An upload of the same bytes may be committing at this moment: then the foreign key
   * refuses the delete, and only this step is undone (the blob is in use again, as it should be).
   */
  private async collectBlob(tx: Db, sha256: string): Promise<void> {
    const used = await tx.selectFrom('assets').select('id').where('sha256', '=', sha256).limit(1).executeTakeFirst();
    if (used) return;
    const held = await tx.selectFrom('blob_holds').select('hold_id').where('sha256', '=', sha256).limit(1).executeTakeFirst();
    if (!held) await this.blobs.delete(tx, sha256);
  }

  /** Stores a prepared upload's bytes once per content (BlobStore: deduplicated, locked on PostgreSQL against a racing collector). */
  private async putBlob(tx: Db, p: Prepared, now: string): Promise<void> {
    if ('staged' in p.body) await this.blobs.commit(tx, p.body.staged, now);
    else await this.blobs.put(tx, p.sha256, p.body.bytes, now);
  }

  async upload(project: Project, input: AssetUploadInput): Promise<AssetInfo> {
    return this.write(project, await this.prepare(project, input));
  }

  /**
   * Stores a prepared upload: blob and asset row in one transaction (`also` runs in it too). The
   * answer is built inside it: if building it fails, nothing stays written. On any failure the
   * staged bytes go.
   */
  private async write(project: Project, p: Prepared, also?: (tx: Transaction<Database>) => Promise<void>): Promise<AssetInfo> {
    const now = this.clock.now().toISOString();
    let info: AssetInfo;
    try {
      info = await this.db.transaction().execute(async (tx) => {
        await this.putBlob(tx, p, now);
        const r = await this.store(tx, project, stored(p), now);
        await also?.(tx);
        await bumpGeneration(tx, project.id);
        return this.info(project, r);
      });
    } catch (e) {
      await this.discard(p);
      throw e;
    }
    this.bus.assetChanged(project.id, p.slug);
    return info;
  }

  /**
   * An upload whose bytes arrive as a stream (an upload URL's PUT body): the same rules as
   * assets_upload, checked while the bytes stream into storage, so a wrong type or a file past its
   * limit is refused as soon as it shows, and nothing is stored. `declaredBytes` (Content-Length)
   * refuses a file known to be too large before a byte is read; `also` runs in the transaction
   * that stores the asset (the upload URL is marked used there).
   */
  async uploadStream(
    project: Project,
    input: AssetStreamInput,
    source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>,
    opts: { declaredBytes?: number | undefined; also?: (tx: Transaction<Database>) => Promise<void> } = {},
  ): Promise<AssetInfo> {
    const { slug, kind, maxBytes } = await this.target(project, input);
    const declared = opts.declaredBytes;
    if (declared !== undefined) {
      if (declared > maxBytes) throw assetTooLarge(kind, declared, maxBytes);
      if (!input.overwrite) await this.quota.assertRoom(project.id, declared);
    }
    await this.sweepStaleHolds();
    const staged = await this.blobs.stage(source, await this.streamCheck(project, slug, input, kind, maxBytes));
    const p: Prepared = { slug, size: staged.size, contentType: staged.contentType, sha256: staged.sha256, input, body: { staged } };
    return this.write(project, p, opts.also);
  }

  /**
   * All or nothing, holding one item's bytes at a time: each item is fetched, checked and its blob
   * stored under a hold (so nothing collects it), then one transaction writes every asset row. On
   * any failure the holds go and the staged blobs nobody else uses are collected.
   */
  async bulkUpload(project: Project, inputs: readonly AssetUploadInput[]): Promise<{ assets: AssetInfo[]; uploaded: number }> {
    checkBulkSize('assets', inputs.length, this.limits.bulkItems);
    // Slugs, types and the argument shape are checked for every item before anything is fetched.
    const slugs = inputs.map((input, index) => {
      const slug = normalizeSlugAt(index, input.slug);
      forItemSync(index, () => assetKindForSlug(slug));
      return slug;
    });
    assertDistinctSlugs('assets', slugs);
    await this.assertPathsFree(project, slugs, inputs);
    await this.sweepStaleHolds();
    // An early answer, before more is fetched, when new items cannot fit; the final transaction
    // decides exactly (overwrites free what they replace, so only all-new batches are judged early).
    const usage = inputs.some((i) => i.overwrite) ? undefined : await this.quota.usage(project.id);
    let pending = 0;
    const hold = newId('hold');
    const staged: Stored[] = [];
    try {
      for (const [index, input] of inputs.entries()) {
        const p = await forItem('assets', index, () => this.prepare(project, input), ' Nothing was uploaded.');
        try {
          pending += p.size;
          if (usage && usage.quota > 0 && usage.used + pending > usage.quota) await forItem('assets', index, () => this.quota.assertRoom(project.id, pending), ' Nothing was uploaded.');
          const now = this.clock.now().toISOString();
          await this.db.transaction().execute(async (tx) => {
            await this.putBlob(tx, p, now);
            await tx.insertInto('blob_holds').values({ hold_id: hold, sha256: p.sha256, created_at: now }).onConflict((oc) => oc.columns(['hold_id', 'sha256']).doNothing()).execute();
          });
        } catch (e) {
          await this.discard(p);
          throw e;
        }
        staged.push(stored(p));
      }
      const now = this.clock.now().toISOString();
      const rows = await this.db.transaction().execute(async (tx) => {
        const out: AssetTable[] = [];
        for (const [index, p] of staged.entries()) out.push(await forItem('assets', index, () => this.store(tx, project, p, now), ' Nothing was uploaded.'));
        await tx.deleteFrom('blob_holds').where('hold_id', '=', hold).execute();
        await bumpGeneration(tx, project.id);
        return out.map((r) => this.info(project, r));
      });
      for (const p of staged) this.bus.assetChanged(project.id, p.slug);
      return { assets: rows, uploaded: rows.length };
    } catch (e) {
      await this.releaseHold(hold, staged.map((p) => p.sha256)).catch(() => undefined);
      throw e;
    }
  }

  /**
   * Before anything is fetched: an item whose path is taken (by a page, or by an asset it does not
   * overwrite) would fail the batch at the end anyway, after every download. The final transaction
   * still decides (a path may be taken meanwhile).
   */
  private async assertPathsFree(project: Project, slugs: readonly string[], inputs: readonly AssetUploadInput[]): Promise<void> {
    const taken = new Map<string, string>();
    for (let i = 0; i < slugs.length; i += 500) {
      const rows = await this.db.selectFrom('site_paths').select(['path', 'kind']).where('project_id', '=', project.id).where('path', 'in', slugs.slice(i, i + 500)).execute();
      for (const r of rows) taken.set(r.path, r.kind);
    }
    slugs.forEach((slug, index) => {
      const kind = taken.get(slug);
      if (kind === 'page') throw new SitepubError('ALREADY_EXISTS', `assets[${index}]: a page already uses the path "${slug}"; pages and assets share the site's URL space. Nothing was uploaded.`, { slug, index });
      if (kind === 'asset' && !inputs[index]!.overwrite) {
        throw new SitepubError('ALREADY_EXISTS', `assets[${index}]: asset "${slug}" already exists. Pass overwrite: true to replace it, or choose another slug. Nothing was uploaded.`, { slug, index });
      }
    });
  }

  /** Drops an upload's holds and collects the blobs only it kept. */
  private async releaseHold(hold: string, sha256s: readonly string[]): Promise<void> {
    if (sha256s.length === 0) return;
    await this.db.transaction().execute(async (tx) => {
      await tx.deleteFrom('blob_holds').where('hold_id', '=', hold).execute();
      for (const sha of new Set(sha256s)) await this.collectBlob(tx, sha);
    });
  }

  /**
   * Left by a process that died mid-upload, older than `maxAgeMs`: holds dropped and their blobs
   * collected; chunks of uploads that never finished streaming deleted.
   */
  async sweepStaleHolds(maxAgeMs = STALE_UPLOAD_MS): Promise<number> {
    const before = new Date(this.clock.now().getTime() - maxAgeMs).toISOString();
    await this.blobs.sweepStaging(before);
    const stale = await this.db.selectFrom('blob_holds').select(['hold_id', 'sha256']).where('created_at', '<', before).execute();
    const byHold = new Map<string, string[]>();
    for (const h of stale) byHold.set(h.hold_id, [...(byHold.get(h.hold_id) ?? []), h.sha256]);
    for (const [hold, shas] of byHold) await this.releaseHold(hold, shas);
    return byHold.size;
  }

  /**
   * Set by the download service: what deleting a file does to the links that sell it (refuses
   * without `force`, revokes them with it), inside the delete's transaction.
   */
  deleteGuard?: (tx: Transaction<Database>, projectId: string, slug: string, force: boolean) => Promise<void>;

  async delete(project: Project, rawSlug: string, opts: { force?: boolean | undefined } = {}): Promise<{ slug: string; deleted: true }> {
    const slug = normalizeSlug(rawSlug, 'asset');
    await this.db.transaction().execute(async (tx) => {
      const row = await this.findRow(tx, project.id, slug);
      await this.deleteGuard?.(tx, project.id, slug, opts.force === true);
      await tx.deleteFrom('assets').where('id', '=', row.id).execute();
      await releasePath(tx, project.id, slug, 'asset');
      await this.quota.charge(tx, project.id, -row.size_bytes);
      await this.collectBlob(tx, row.sha256);
      await bumpGeneration(tx, project.id);
    });
    this.bus.assetChanged(project.id, slug);
    return { slug, deleted: true };
  }

  /**
   * Hot path for sites and download links: metadata and, for a file up to WHOLE_FILE_BYTES, its
   * bytes. Bytes are cached by their sha256, which can never go stale (a new content is a new key).
   * A larger file's bytes are never read here: `read` streams them. `publicOnly`: a private file's
   * bytes are not read either (a site asks, and serves only public files).
   */
  private contentQuery?: ReturnType<typeof template<'project' | 'slug'>>;

  async content(projectId: string, slug: string, opts: { publicOnly?: boolean } = {}): Promise<AssetContent | undefined> {
    // Compiled once (template): every download and every uncached site asset asks this; compiling
    // per call costs ~5 us, about 5% of a download's server CPU (measured in process).
    this.contentQuery ??= template(['project', 'slug'], (p) => this.db.selectFrom('assets').selectAll().where('project_id', '=', p.project).where('slug', '=', p.slug));
    const q = this.contentQuery({ project: projectId, slug }) as CompiledQuery<AssetTable>;
    const row = (syncRead(this.sqlDb, q) ?? (await this.db.executeQuery(q)).rows)[0];
    if (!row) return undefined;
    if (row.size_bytes > WHOLE_FILE_BYTES || (opts.publicOnly && row.private === 1)) return { row, data: undefined };
    let data = this.cache.get(row.sha256);
    if (!data) {
      data = await this.blobs.bytes(row.sha256);
      if (!data) return undefined;
      this.cache.set(row.sha256, data);
    }
    return { row, data };
  }

  /** Bytes `start` to `end` (inclusive) of an asset's content, streamed from its chunks. */
  read(row: Pick<AssetTable, 'sha256'>, start: number, end: number): Readable {
    return this.blobs.read(row.sha256, start, end);
  }

  /**
   * An asset's whole bytes, for work that needs them all at once (stamping a PDF), up to `maxBytes`:
   * a larger file is refused by `tooLarge` before anything is read.
   */
  async wholeBytes(row: Pick<AssetTable, 'sha256' | 'size_bytes'>, maxBytes: number, tooLarge: () => Error): Promise<Buffer> {
    if (row.size_bytes > maxBytes) throw tooLarge();
    const cached = this.cache.get(row.sha256);
    if (cached) return cached;
    const data = await this.blobs.bytes(row.sha256);
    if (!data) throw new SitepubError('NOT_FOUND', 'The file is no longer available.');
    return data;
  }
}
