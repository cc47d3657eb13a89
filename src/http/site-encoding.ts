import { promisify } from 'node:util';
import { brotliCompress, constants, gzip } from 'node:zlib';

export type Encoding = 'br' | 'gzip';

const brotli = promisify(brotliCompress);
const gz = promisify(gzip);

/** Bodies this small gain less from compression than the headers it costs. */
export const MIN_COMPRESS_BYTES = 1024;

const COMPRESSIBLE = /^(text\/|application\/(javascript|json|xml|manifest\+json|ld\+json|rss\+xml|atom\+xml)|image\/svg\+xml|font\/(ttf|otf))/;

/** Whether a body of this type and size is worth compressing (images, woff2, PDFs and ZIPs are compressed already). */
export function compressible(contentType: string, bytes: number): boolean {
  return bytes > MIN_COMPRESS_BYTES && COMPRESSIBLE.test(contentType);
}

/**
 * The encoding to send for an Accept-Encoding header: brotli, else gzip, else none (identity).
 * A coding listed with q=0 is refused; `*` stands for both. Kept to a scan of a short string: it
 * runs on every request for a compressible entry.
 */
export function negotiate(header: string | undefined): Encoding | null {
  if (!header) return null;
  if (header.indexOf('q=') < 0) {
    // The common case ("gzip, deflate, br, zstd"): no weights to read.
    if (header.indexOf('br') >= 0 && hasToken(header, 'br')) return 'br';
    if (header.indexOf('gzip') >= 0 && hasToken(header, 'gzip')) return 'gzip';
    return header.indexOf('*') >= 0 ? 'br' : null;
  }
  let br = -1;
  let gzipQ = -1;
  let star = -1;
  for (const part of header.split(',')) {
    const semi = part.indexOf(';');
    const name = (semi < 0 ? part : part.slice(0, semi)).trim().toLowerCase();
    const qm = semi < 0 ? null : /q\s*=\s*([0-9.]+)/.exec(part.slice(semi));
    const q = qm ? Number(qm[1]) : 1;
    if (name === 'br') br = q;
    else if (name === 'gzip' || name === 'x-gzip') gzipQ = q;
    else if (name === '*') star = q;
  }
  if (br < 0) br = star;
  if (gzipQ < 0) gzipQ = star;
  if (br > 0 && br >= gzipQ) return 'br';
  if (gzipQ > 0) return 'gzip';
  return null;
}

function hasToken(header: string, token: string): boolean {
  for (const part of header.split(',')) if (part.trim().toLowerCase() === token) return true;
  return false;
}

/**
 * Compresses a body once, off the event loop (zlib's thread pool): brotli at its best quality for
 * bodies up to 256 KB (text assets are at most 1 MB; past 256 KB quality 11 costs seconds of CPU
 * for a few percent), gzip at level 9. Null when the result would not be clearly smaller.
 */
export async function compress(body: Uint8Array, encoding: Encoding): Promise<Uint8Array | null> {
  const out =
    encoding === 'br'
      ? await brotli(body, {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: body.byteLength <= 256 * 1024 ? 11 : 9,
            [constants.BROTLI_PARAM_SIZE_HINT]: body.byteLength,
            [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          },
        })
      : await gz(body, { level: constants.Z_BEST_COMPRESSION });
  return out.byteLength < body.byteLength * 0.9 ? new Uint8Array(out.buffer, out.byteOffset, out.byteLength) : null;
}
