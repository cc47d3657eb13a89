import type { Readable } from 'node:stream';
import type { Kysely } from 'kysely';
import type { Database, DownloadTokenTable } from '../db/schema.js';
import type { AssetService } from './assets.js';
import { entryNames, zipSize, zipStream, type ZipEntry } from './download-bundle.js';
import { STAMP_MAX_BYTES, StampCache, stampLine, stampTooLarge } from './download-stamp.js';
import { SitepubError } from './errors.js';
import { sha256Hex } from './ids.js';

/**
 * What a download link sends for a token: its one file, that file stamped (a PDF of a token with
 * `stamp`), or its bundle as one ZIP. Size and ETag are known before any byte is produced, so
 * Range and HEAD work the same for all three.
 */
export interface Payload {
  size: number;
  /** Strong ETag: the same bytes on every instance for as long as it holds. */
  etag: string;
  contentType: string;
  /** Bytes `start` to `end` inclusive: from memory for a small file, streamed from storage for a large one. */
  body(start: number, end: number): Uint8Array | Readable;
}

const isPdf = (contentType: string): boolean => contentType.split(';')[0]!.trim().toLowerCase() === 'application/pdf';
const etagOf = (sha256: string): string => `"a-${sha256.slice(0, 24)}"`;

/** Reads the bytes a link serves. The `day` (YYYY-MM-DD, UTC) is the day of the use, for a stamp's {date}. */
export class PayloadReader {
  readonly stamps = new StampCache();

  constructor(
    private readonly db: Kysely<Database>,
    private readonly assets: AssetService,
  ) {}

  /** The token's payload, or undefined when one of its files does not exist now. */
  async forToken(t: DownloadTokenTable, day: string): Promise<Payload | undefined> {
    return t.bundle > 0 ? this.bundle(t, day) : this.single(t, day);
  }

  private async single(t: DownloadTokenTable, day: string): Promise<Payload | undefined> {
    const asset = await this.assets.content(t.project_id, t.asset_slug);
    if (!asset) return undefined;
    const row = asset.row;
    const type = row.content_type;
    if (t.stamp !== null && isPdf(type)) {
      const line = stampLine(t, day);
      const data = await this.stamps.stamped(row.sha256, () => this.stampable(row, t.asset_slug), line, t.asset_slug);
      return { size: data.byteLength, etag: StampCache.etag(row.sha256, line), contentType: type, body: (s, e) => data.subarray(s, e + 1) };
    }
    const data = asset.data;
    if (data) return { size: data.byteLength, etag: etagOf(row.sha256), contentType: type, body: (s, e) => data.subarray(s, e + 1) };
    // A large file: each answer streams the chunks its range covers.
    return { size: Number(row.size_bytes), etag: etagOf(row.sha256), contentType: type, body: (s, e) => this.assets.read(row, s, e) };
  }

  /** A PDF's whole bytes for stamping, within STAMP_MAX_BYTES. */
  private stampable(row: { sha256: string; size_bytes: number }, slug: string): Promise<Uint8Array> {
    return this.assets.wholeBytes(row, STAMP_MAX_BYTES, () => stampTooLarge(slug, Number(row.size_bytes)));
  }

  private async bundle(t: DownloadTokenTable, day: string): Promise<Payload | undefined> {
    const rows = await this.db
      .selectFrom('download_bundle_files as f')
      .leftJoin('assets as a', (j) => j.onRef('a.project_id', '=', 'f.project_id').onRef('a.slug', '=', 'f.asset_slug'))
      .select(['f.asset_slug', 'a.sha256', 'a.size_bytes', 'a.content_type'])
      .where('f.token_id', '=', t.id)
      .orderBy('f.position')
      .execute();
    if (rows.length === 0 || rows.some((r) => r.sha256 === null)) return undefined;
    const line = t.stamp !== null ? stampLine(t, day) : undefined;
    const names = entryNames(rows.map((r) => r.asset_slug));
    const entries: ZipEntry[] = [];
    const tags: string[] = [];
    for (const [i, r] of rows.entries()) {
      const sha = r.sha256!;
      // The file as it was when the size was taken: a file replaced meanwhile fails the stream rather than mixing versions.
      const current = async () => {
        const a = await this.assets.content(t.project_id, r.asset_slug);
        if (!a || a.row.sha256 !== sha) throw new SitepubError('NOT_FOUND', `/${r.asset_slug} changed while its bundle was being sent`);
        return a;
      };
      // A small file from memory, a large one streamed from its chunks as the archive reaches it.
      const read = async (): Promise<Uint8Array | Readable> => {
        const a = await current();
        return a.data ?? this.assets.read(a.row, 0, Number(a.row.size_bytes) - 1);
      };
      if (line !== undefined && isPdf(r.content_type!)) {
        // Stamped before the answer starts: its size is part of Content-Length. Cached, so the
        // stream below (and any continuation) reads the same copy.
        const whole = async (): Promise<Uint8Array> => this.stampable((await current()).row, r.asset_slug);
        const stamped = await this.stamps.stamped(sha, whole, line, r.asset_slug);
        entries.push({ name: names[i]!, size: stamped.byteLength, read: () => this.stamps.stamped(sha, whole, line, r.asset_slug) });
        tags.push(`${sha}:${line}`);
      } else {
        entries.push({ name: names[i]!, size: Number(r.size_bytes), read });
        tags.push(sha);
      }
    }
    const size = zipSize(entries);
    const mtime = t.created_at;
    return {
      size,
      etag: `"z-${sha256Hex(`${names.join('\u0000')}\u0001${tags.join('\u0000')}\u0001${mtime}`).slice(0, 24)}"`,
      contentType: 'application/zip',
      body: (s, e) => zipStream(entries, mtime, s, e),
    };
  }
}
