import { LRUCache } from 'lru-cache';
import type { DownloadTokenTable } from '../db/schema.js';
import { SitepubError, invalid } from './errors.js';
import { sha256Hex } from './ids.js';

/** The longest stamp template, and the longest line drawn (after filling it in). */
export const MAX_STAMP_CHARS = 200;
const MAX_LINE_CHARS = 300;

/**
 * The largest PDF a link stamps: a stamp loads the whole document in memory (pdf-lib), several
 * times its size at peak, so a larger PDF is sold without stamp (docs/sites-and-downloads.md).
 */
export const STAMP_MAX_BYTES = 32 * 1024 * 1024;

/** A PDF over STAMP_MAX_BYTES: refused before a byte of it is read. */
export const stampTooLarge = (slug: string, size: number): SitepubError =>
  new SitepubError(
    'PAYLOAD_TOO_LARGE',
    `/${slug} is ${Math.round((size / 2 ** 20) * 10) / 10} MB; stamps are drawn on PDFs up to ${STAMP_MAX_BYTES / 2 ** 20} MB. Create the link without stamp (put the buyer in visitor_id or metadata to keep the link personal).`,
    { field: 'stamp', size_bytes: size, max_bytes: STAMP_MAX_BYTES },
  );

/** Stamped copies kept in memory per process, for Range continuations and repeated downloads. */
const CACHE_BYTES = 64 * 1024 * 1024;
/** As long as a download's Range grant (download-consume.ts). */
const CACHE_TTL_MS = 15 * 60 * 1000;

const PLACEHOLDER = /\{([^{}]*)\}/g;

/**
 * Checks a stamp template against the token it is for: only `{visitor_id}`, `{date}` and
 * `{metadata.KEY}` placeholders, each with a value on this token, so a stamp never prints an
 * empty name. Throws VALIDATION_ERROR naming what to fix.
 */
export function checkStamp(template: string, visitorId: string | null, metadata: Record<string, unknown>): string {
  const t = template.normalize('NFC').replace(/[\u0000-\u001f\u007f]/g, ' ').trim();
  if (!t) throw invalid('stamp must not be empty; for example "Licensed to {visitor_id} on {date}".', { field: 'stamp' });
  if (t.length > MAX_STAMP_CHARS) throw invalid(`stamp must be at most ${MAX_STAMP_CHARS} characters.`, { field: 'stamp' });
  for (const m of t.matchAll(PLACEHOLDER)) {
    const name = m[1]!;
    if (name === 'date') continue;
    if (name === 'visitor_id') {
      if (visitorId === null) throw invalid('stamp uses {visitor_id} but the link has no visitor_id: pass visitor_id, or put the buyer in metadata and use {metadata.KEY}.', { field: 'stamp' });
      continue;
    }
    if (name.startsWith('metadata.')) {
      const key = name.slice('metadata.'.length);
      const v = metadata[key];
      if (v === undefined || v === null || typeof v === 'object') {
        throw invalid(`stamp uses {${name}} but metadata has no text or number "${key}": add it to metadata or change the stamp.`, { field: 'stamp' });
      }
      continue;
    }
    throw invalid(`stamp has an unknown placeholder {${name}}: use {visitor_id}, {date} or {metadata.KEY}.`, { field: 'stamp' });
  }
  return t;
}

/** The line a token's stamp draws on a copy served on `day` (YYYY-MM-DD, UTC). */
export function stampLine(token: Pick<DownloadTokenTable, 'stamp' | 'visitor_id' | 'metadata'>, day: string): string {
  const metadata = JSON.parse(token.metadata) as Record<string, unknown>;
  const line = (token.stamp ?? '').replace(PLACEHOLDER, (_all, name: string) => {
    if (name === 'date') return day;
    if (name === 'visitor_id') return token.visitor_id ?? '';
    if (name.startsWith('metadata.')) {
      const v = metadata[name.slice('metadata.'.length)];
      return v === undefined || v === null || typeof v === 'object' ? '' : String(v);
    }
    return '';
  });
  return line.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, MAX_LINE_CHARS);
}

type PdfLib = typeof import('pdf-lib');
let pdfLib: Promise<PdfLib> | undefined;
/** pdf-lib is large: loaded on the first stamp, not at start-up. */
const loadPdfLib = (): Promise<PdfLib> => (pdfLib ??= import('pdf-lib'));

/** A PDF that pdf-lib cannot open or write (encrypted, damaged). */
export const unstampable = (slug: string, why: string): SitepubError =>
  new SitepubError('UNSUPPORTED_MEDIA_TYPE', `/${slug} cannot be stamped (${why}). Upload a PDF that is not encrypted, or create the link without stamp.`, { field: 'stamp' });

/**
 * Draws `line` as a footer on every page: Helvetica (a standard PDF font, so the text stays
 * searchable and nothing is embedded), 8 pt or smaller to fit, grey, centred 14 pt above the
 * bottom edge of each page's visible box. Deterministic: the same bytes and line give the same
 * output (the document's dates and producer are left as they were), so a copy stamped again on
 * another instance, or after the cache let it go, is byte for byte the one a Range request resumes.
 */
export async function stampPdf(bytes: Uint8Array, line: string, slug: string): Promise<Buffer> {
  const { PDFDocument, StandardFonts, rgb } = await loadPdfLib();
  let doc: Awaited<ReturnType<typeof PDFDocument.load>>;
  try {
    doc = await PDFDocument.load(bytes, { updateMetadata: false });
  } catch (e) {
    throw unstampable(slug, e instanceof Error && /encrypt/i.test(e.message) ? 'it is encrypted' : 'it could not be read as a PDF');
  }
  try {
    const font = await doc.embedFont(StandardFonts.Helvetica);
    const allowed = new Set(font.getCharacterSet());
    // WinAnsi is all Helvetica can write: anything else becomes "?" rather than failing the download.
    const text = [...line].map((ch) => (allowed.has(ch.codePointAt(0)!) ? ch : '?')).join('');
    for (const page of doc.getPages()) {
      const box = page.getCropBox();
      let size = 8;
      const room = Math.max(20, box.width - 40);
      const w = font.widthOfTextAtSize(text, size);
      if (w > room) size = Math.max(4, (size * room) / w);
      const width = font.widthOfTextAtSize(text, size);
      page.drawText(text, { x: box.x + Math.max(4, (box.width - width) / 2), y: box.y + 14, size, font, color: rgb(0.35, 0.35, 0.35) });
    }
    return Buffer.from(await doc.save({ updateFieldAppearances: false }));
  } catch (e) {
    if (e instanceof SitepubError) throw e;
    throw unstampable(slug, 'it could not be written back');
  }
}

/**
 * Stamped copies by (file content, line): the same buyer's Range continuations and repeated
 * downloads of the same day get the same bytes without stamping again. Bounded (64 MB, entries
 * leave 15 minutes after their last use); a miss stamps again, with the same result (stampPdf is
 * deterministic). Concurrent requests for one copy share one stamping.
 */
export class StampCache {
  private readonly copies = new LRUCache<string, Buffer>({ maxSize: CACHE_BYTES, maxEntrySize: CACHE_BYTES / 4, sizeCalculation: (b) => Math.max(1, b.byteLength), ttl: CACHE_TTL_MS, updateAgeOnGet: true });
  private readonly pending = new Map<string, Promise<Buffer>>();

  /** The ETag of a stamped copy, known without stamping. */
  static etag(sha256: string, line: string): string {
    return `"s-${sha256Hex(`${sha256}\u0000${line}`).slice(0, 24)}"`;
  }

  async stamped(sha256: string, bytes: () => Promise<Uint8Array>, line: string, slug: string): Promise<Buffer> {
    const key = `${sha256}\u0000${line}`;
    const hit = this.copies.get(key);
    if (hit) return hit;
    let p = this.pending.get(key);
    if (!p) {
      p = (async () => stampPdf(await bytes(), line, slug))();
      this.pending.set(key, p);
      p.then(
        (b) => {
          this.copies.set(key, b);
          this.pending.delete(key);
        },
        () => this.pending.delete(key),
      );
    }
    return p;
  }
}
